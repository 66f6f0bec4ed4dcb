using System.Runtime.InteropServices;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>
/// Ed25519/Ed448 verification by the system's OpenSSL libcrypto: an implementation independent of
/// the BouncyCastle code <see cref="Mailseal.Core.OpenPgp.EdDsaVerifier"/> uses, to check it
/// against. (The product used it until start-up profiles showed that loading libcrypto costs more
/// per message than BouncyCastle's verification under NativeAOT.)
/// </summary>
internal static partial class OpenSslEdDsa
{
    private const string LibCrypto = "libcrypto.so.3";

    /// <summary>OpenSSL's NID_ED25519 (EVP_PKEY_ED25519).</summary>
    public const int Ed25519 = 1087;

    /// <summary>OpenSSL's NID_ED448 (EVP_PKEY_ED448).</summary>
    public const int Ed448 = 1088;

    /// <summary>True or false as libcrypto decides; null when it does not accept the public key.</summary>
    public static bool? Verify(int nid, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        nint key = EVP_PKEY_new_raw_public_key(nid, 0, publicKey, (nuint)publicKey.Length);
        if (key == 0)
        {
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
