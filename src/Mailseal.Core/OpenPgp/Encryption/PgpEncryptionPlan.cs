namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>What <see cref="PgpEncryptor"/> writes for a set of recipients.</summary>
/// <param name="Cipher">The session key's symmetric algorithm: AES-256 or AES-128.</param>
/// <param name="UseSeipdV2">True: PKESK v6 + SEIPD v2 (AES-OCB). False: PKESK v3 + SEIPD v1 (CFB with MDC).</param>
public sealed record PgpEncryptionPlan(SymmetricAlgorithm Cipher, bool UseSeipdV2)
{
    /// <summary>The PKESK version the plan writes: 6 with SEIPD v2, 3 with SEIPD v1.</summary>
    public int PkeskVersion => UseSeipdV2 ? 6 : 3;
}
