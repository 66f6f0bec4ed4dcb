using System.Runtime.InteropServices;

namespace Mailseal.Dns;

/// <summary>
/// DNS query ids (RFC 5452 section 9.2: unpredictable, from a cryptographic source), read with
/// getrandom(2) from the kernel's CSPRNG. Not <see cref="System.Security.Cryptography.RandomNumberGenerator"/>:
/// on Linux it initialises OpenSSL (~6 ms, ~200 page faults), which mailseal-spfd spawned per
/// connection by Postfix would pay in every process for two random octets.
/// </summary>
internal static partial class QueryIds
{
    private const int Eintr = 4;

    /// <summary>A random 16-bit query id.</summary>
    /// <exception cref="IOException">getrandom(2) failed.</exception>
    public static ushort Next()
    {
        Span<byte> two = stackalloc byte[2];
        int filled = 0;
        while (filled < two.Length)
        {
            nint n = GetRandom(ref two[filled], (nuint)(two.Length - filled), 0);
            if (n >= 0)
            {
                filled += (int)n;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Eintr)
                throw new IOException($"getrandom(2) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return (ushort)((two[0] << 8) | two[1]);
    }

    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint GetRandom(ref byte buffer, nuint length, uint flags);
}
