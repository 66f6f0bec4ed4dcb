using System.Runtime.InteropServices;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Ed25519 and Ed448 signature verification (RFC 8032, pure EdDSA, empty context). Done by the
/// system's OpenSSL libcrypto, which .NET already loads on Linux for its own cryptography, and
/// by BouncyCastle's Rfc8032 classes only when libcrypto cannot be used.
/// <para>
/// Why not BouncyCastle first: its verification builds a table of base-point multiples on first
/// use, about 10 ms of start-up in every process, and mailseal-encrypt is one process per
/// message. Verification handles public data only (keys and signatures of certificates), so no
/// secret ever crosses into native code here.
/// </para>
/// </summary>
internal static partial class EdDsaVerifier
{
    private const string LibCrypto = "libcrypto.so.3";

    /// <summary>OpenSSL's NID_ED25519 (EVP_PKEY_ED25519).</summary>
    private const int NidEd25519 = 1087;

    /// <summary>OpenSSL's NID_ED448 (EVP_PKEY_ED448).</summary>
    private const int NidEd448 = 1088;

    private static volatile bool _openSslUnavailable;

    /// <summary>Verifies an Ed25519 signature (64 octets) by a 32-octet public key over <paramref name="message"/>.</summary>
    public static bool VerifyEd25519(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        if (signature.Length != 64 || publicKey.Length != 32)
            return false;
        return VerifyWithOpenSsl(NidEd25519, signature, publicKey, message)
            ?? Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, message.ToArray(), 0, message.Length);
    }

    /// <summary>Verifies an Ed448 signature (114 octets) by a 57-octet public key over <paramref name="message"/>, empty context.</summary>
    public static bool VerifyEd448(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        if (signature.Length != 114 || publicKey.Length != 57)
            return false;
        return VerifyWithOpenSsl(NidEd448, signature, publicKey, message)
            ?? Org.BouncyCastle.Math.EC.Rfc8032.Ed448.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, [], message.ToArray(), 0, message.Length);
    }

    /// <summary>
    /// The OpenSSL path alone: true or false, or null when libcrypto cannot be loaded or refuses
    /// the key (the caller then uses BouncyCastle). Tests call it to compare both paths.
    /// </summary>
    internal static bool? VerifyWithOpenSsl(int nid, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        if (_openSslUnavailable)
            return null;
        try
        {
            return Verify(nid, signature, publicKey, message);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            _openSslUnavailable = true;
            return null;
        }
    }

    /// <summary>The NID used for Ed25519, for tests.</summary>
    internal static int Ed25519Nid => NidEd25519;

    /// <summary>The NID used for Ed448, for tests.</summary>
    internal static int Ed448Nid => NidEd448;

    private static bool? Verify(int nid, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        nint key = EVP_PKEY_new_raw_public_key(nid, 0, publicKey, (nuint)publicKey.Length);
        if (key == 0)
        {
            // Not a point OpenSSL accepts as a key: let BouncyCastle decide, as before.
            ERR_clear_error();
            return null;
        }

        nint context = 0;
        try
        {
            context = EVP_MD_CTX_new();
            if (context == 0 || EVP_DigestVerifyInit(context, 0, 0, 0, key) != 1)
            {
                ERR_clear_error();
                return null;
            }

            // An empty span may marshal as a null pointer; give OpenSSL a valid one with length 0.
            ReadOnlySpan<byte> data = message.IsEmpty ? [0] : message;
            int result = EVP_DigestVerify(context, signature, (nuint)signature.Length, data, (nuint)message.Length);
            if (result != 1)
            {
                // 0 = does not verify; below 0 = malformed signature. Either way: not valid. Leave
                // OpenSSL's per-thread error queue empty for .NET's own calls that follow.
                ERR_clear_error();
            }

            return result == 1;
        }
        finally
        {
            if (context != 0)
                EVP_MD_CTX_free(context);
            EVP_PKEY_free(key);
        }
    }

    [LibraryImport(LibCrypto)]
    private static partial nint EVP_PKEY_new_raw_public_key(int type, nint engine, ReadOnlySpan<byte> key, nuint keyLength);

    [LibraryImport(LibCrypto)]
    private static partial void EVP_PKEY_free(nint key);

    [LibraryImport(LibCrypto)]
    private static partial nint EVP_MD_CTX_new();

    [LibraryImport(LibCrypto)]
    private static partial void EVP_MD_CTX_free(nint context);

    [LibraryImport(LibCrypto)]
    private static partial int EVP_DigestVerifyInit(nint context, nint keyContext, nint digest, nint engine, nint key);

    [LibraryImport(LibCrypto)]
    private static partial int EVP_DigestVerify(nint context, ReadOnlySpan<byte> signature, nuint signatureLength, ReadOnlySpan<byte> data, nuint dataLength);

    [LibraryImport(LibCrypto)]
    private static partial void ERR_clear_error();
}
