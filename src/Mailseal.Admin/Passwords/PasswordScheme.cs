namespace Mailseal.Admin.Passwords;

/// <summary>The password schemes mailseal-admin writes; each is one Dovecot verifies (doveadm pw -l).</summary>
public enum PasswordScheme
{
    /// <summary><c>{ARGON2ID}$argon2id$v=19$m=...,t=...,p=1$salt$hash</c>: memory-hard, the default.</summary>
    Argon2Id,

    /// <summary><c>{SHA512-CRYPT}$6$rounds=N$salt$hash</c>: SHA-crypt, what most existing servers hold.</summary>
    Sha512Crypt,

    /// <summary><c>{BLF-CRYPT}$2b$cost$...</c>: bcrypt; only the first 72 bytes of a password count, so longer ones are refused.</summary>
    BlfCrypt,
}
