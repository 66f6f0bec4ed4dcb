namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>Dovecot password schemes the harness hashes account passwords with.</summary>
public enum PasswordScheme
{
    /// <summary>{ARGON2ID}, the scheme Mailseal recommends.</summary>
    Argon2Id,

    /// <summary>{SHA512-CRYPT}, what most existing servers hold.</summary>
    Sha512Crypt,
}
