using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Ed25519 and Ed448 signature verification (RFC 8032, pure EdDSA, empty context), by
/// BouncyCastle's Rfc8032 classes. Compiled native, their one-time table of base-point multiples
/// costs ~0.3 ms; the system's libcrypto (used here before) cost ~2.5 ms and ~170 page faults
/// just to load, in every process that encrypts one message. The tests check this against
/// libcrypto.
/// </summary>
internal static class EdDsaVerifier
{
    /// <summary>Verifies an Ed25519 signature (64 octets) by a 32-octet public key over <paramref name="message"/>.</summary>
    public static bool VerifyEd25519(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message) =>
        signature.Length == Ed25519.SignatureSize && publicKey.Length == Ed25519.PublicKeySize
        && Ed25519.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, message.ToArray(), 0, message.Length);

    /// <summary>Verifies an Ed448 signature (114 octets) by a 57-octet public key over <paramref name="message"/>, empty context.</summary>
    public static bool VerifyEd448(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message) =>
        signature.Length == Ed448.SignatureSize && publicKey.Length == Ed448.PublicKeySize
        && Ed448.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, [], message.ToArray(), 0, message.Length);
}
