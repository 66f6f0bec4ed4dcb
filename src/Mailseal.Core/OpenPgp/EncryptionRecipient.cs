namespace Mailseal.Core.OpenPgp;

/// <summary>
/// One key to encrypt a session key to: the chosen encryption-capable (sub)key of a usable
/// certificate, with what the certificate's self-signature announces about the recipient's
/// software. Produced by the certificate reader's usability check, consumed by the encryptor.
/// </summary>
/// <param name="Key">The encryption (sub)key packet; its fingerprint goes into the ECDH KDF and PKESK v6.</param>
/// <param name="PrimaryFingerprint">The certificate's primary key fingerprint (for logs and lookups).</param>
/// <param name="PreferredSymmetric">Preferred symmetric algorithms, most preferred first (empty = none stated).</param>
/// <param name="PreferredAeadCiphersuites">Preferred SEIPD v2 ciphersuites (symmetric, AEAD), most preferred first.</param>
/// <param name="SupportsSeipdV2">The features subpacket announces SEIPD v2 (bit 0x08), or the key is v6.</param>
public sealed record EncryptionRecipient(
    PublicKeyPacket Key,
    byte[] PrimaryFingerprint,
    IReadOnlyList<SymmetricAlgorithm> PreferredSymmetric,
    IReadOnlyList<(SymmetricAlgorithm Cipher, AeadAlgorithm Aead)> PreferredAeadCiphersuites,
    bool SupportsSeipdV2);
