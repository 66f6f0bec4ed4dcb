using System.Runtime.InteropServices;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Random octets for keys, salts, prefixes and MIME boundaries, straight from the kernel's CSPRNG
/// with getrandom(2) (the source OpenSSL and libsodium seed from on Linux; it blocks only until
/// the pool is first initialised at boot). Not <see cref="System.Security.Cryptography.RandomNumberGenerator"/>:
/// on Linux it initialises OpenSSL (libssl, libcrypto, openssl.cnf: ~6 ms and ~200 page faults),
/// which a process that encrypts one message otherwise never needs.
/// </summary>
internal static partial class KernelRandom
{
    private const int Eintr = 4;

    /// <summary>Fills <paramref name="destination"/> with random octets.</summary>
    /// <exception cref="IOException">getrandom(2) failed (a kernel without it: before Linux 3.17).</exception>
    public static void Fill(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            nint n = GetRandom(ref MemoryMarshal.GetReference(destination), (nuint)destination.Length, 0);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                    continue;
                throw new IOException($"getrandom(2) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            destination = destination[(int)n..];
        }
    }

    /// <summary>A new array of <paramref name="count"/> random octets.</summary>
    public static byte[] GetBytes(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }

    /// <summary><paramref name="length"/> random lower-case hexadecimal digits.</summary>
    public static string GetHexString(int length)
    {
        Span<byte> bytes = stackalloc byte[(length + 1) / 2];
        Fill(bytes);
        return Convert.ToHexStringLower(bytes)[..length];
    }

    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint GetRandom(ref byte buffer, nuint length, uint flags);
}
