using System.Runtime.InteropServices;
using System.Text;

namespace Mailseal.Admin.Passwords;

/// <summary>
/// SHA512-CRYPT and BLF-CRYPT through the system's crypt(3): libxcrypt (Debian's libcrypt1,
/// essential, so always installed), the very library Dovecot's CRYPT-family schemes call to
/// verify. No served .NET package implements SHA-crypt; BCrypt.Net would add a second bcrypt
/// whose output libxcrypt would then have to agree with. The salt is drawn here from the
/// operating system's CSPRNG and handed to <c>crypt_gensalt_rn</c>, which only encodes it.
/// The reentrant <c>_rn</c> functions return NULL on failure instead of a magic string.
/// </summary>
internal static partial class CryptLibrary
{
    private const string Library = "libcrypt.so.1";

    // libxcrypt's struct crypt_data is 32768 bytes; twice that is safe across versions.
    private const int CryptDataSize = 65536;

    /// <summary>crypt(3) of <paramref name="password"/> under <paramref name="setting"/> (<c>$6$rounds=N$salt</c>, <c>$2b$12$...</c>, or a whole hash to verify against).</summary>
    /// <exception cref="InvalidOperationException">crypt(3) refused the setting.</exception>
    public static string Crypt(ReadOnlySpan<byte> password, string setting)
    {
        byte[] phrase = new byte[password.Length + 1];
        byte[] data = new byte[CryptDataSize];
        try
        {
            password.CopyTo(phrase);
            nint result = crypt_rn(phrase, NulTerminated(setting), data, data.Length);
            string? hash = result == 0 ? null : Marshal.PtrToStringUTF8(result);
            if (hash is null || hash.Length == 0 || hash[0] == '*')
                throw new InvalidOperationException($"crypt(3) refused the setting {setting[..Math.Min(setting.Length, 8)]}...");
            return hash;
        }
        finally
        {
            Array.Clear(phrase);
            Array.Clear(data);
        }
    }

    /// <summary>A setting string for <paramref name="prefix"/> (<c>$6$</c>, <c>$2b$</c>) with <paramref name="count"/> rounds/cost and the given random bytes.</summary>
    public static string GenerateSetting(string prefix, ulong count, ReadOnlySpan<byte> random)
    {
        byte[] output = new byte[256];
        nint result = crypt_gensalt_rn(NulTerminated(prefix), count, random.ToArray(), random.Length, output, output.Length);
        if (result == 0)
            throw new InvalidOperationException($"crypt_gensalt(3) refused {prefix} with count {count}");
        int end = Array.IndexOf(output, (byte)0);
        return Encoding.ASCII.GetString(output, 0, end < 0 ? output.Length : end);
    }

    private static byte[] NulTerminated(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    [LibraryImport(Library)]
    private static partial nint crypt_rn(byte[] phrase, byte[] setting, byte[] data, int size);

    [LibraryImport(Library)]
    private static partial nint crypt_gensalt_rn(byte[] prefix, ulong count, byte[] rbytes, int nrbytes, byte[] output, int outputSize);
}
