using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Mailseal.Admin.Passwords;

/// <summary>
/// Hashes a password in a scheme Dovecot verifies, with Dovecot's <c>{SCHEME}</c> prefix, as
/// <c>doveadm pw -s SCHEME</c> writes it. A fresh 16-byte salt from the operating system's
/// CSPRNG every time. What a hash cannot represent is refused, never silently changed: an
/// empty password, a NUL byte (Dovecot and crypt(3) see C strings: everything after it would
/// be ignored), more than <see cref="MaxPasswordBytes"/> bytes, and for BLF-CRYPT more than
/// 72 bytes (bcrypt ignores the rest).
/// </summary>
public static class PasswordHasher
{
    /// <summary>The longest password accepted, in UTF-8 bytes.</summary>
    public const int MaxPasswordBytes = 1024;

    private const int SaltBytes = 16;
    private const int Argon2HashBytes = 32;

    /// <summary>The Dovecot name of <paramref name="scheme"/> (<c>ARGON2ID</c>, <c>SHA512-CRYPT</c>, <c>BLF-CRYPT</c>).</summary>
    public static string DovecotName(PasswordScheme scheme) => scheme switch
    {
        PasswordScheme.Argon2Id => "ARGON2ID",
        PasswordScheme.Sha512Crypt => "SHA512-CRYPT",
        PasswordScheme.BlfCrypt => "BLF-CRYPT",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };

    /// <summary>Parses a scheme name as Dovecot spells it (case-insensitive; <c>argon2id</c>, <c>sha512-crypt</c>, <c>blf-crypt</c>).</summary>
    public static bool TryParseScheme(string name, out PasswordScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (PasswordScheme candidate in Enum.GetValues<PasswordScheme>())
        {
            if (string.Equals(DovecotName(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                scheme = candidate;
                return true;
            }
        }

        scheme = default;
        return false;
    }

    /// <summary>Why <paramref name="password"/> cannot be hashed in <paramref name="scheme"/>, or null when it can.</summary>
    public static string? Check(string password, PasswordScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length == 0)
            return "the password is empty";
        if (password.Contains('\0', StringComparison.Ordinal))
            return "the password contains a NUL character, which Dovecot would cut it at";
        int bytes;
        try
        {
            bytes = new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(password);
        }
        catch (EncoderFallbackException)
        {
            return "the password is not valid Unicode";
        }

        if (bytes > MaxPasswordBytes)
            return string.Create(CultureInfo.InvariantCulture, $"the password is longer than {MaxPasswordBytes} bytes");
        if (scheme == PasswordScheme.BlfCrypt && bytes > 72)
            return "BLF-CRYPT uses only the first 72 bytes of a password; choose a shorter one or another scheme";
        return null;
    }

    /// <summary>The hash of <paramref name="password"/> with its <c>{SCHEME}</c> prefix.</summary>
    /// <exception cref="ArgumentException">The password cannot be hashed (see <see cref="Check"/>), or the options are out of range.</exception>
    public static string Hash(string password, PasswordScheme scheme, PasswordHashOptions? options = null)
    {
        options ??= PasswordHashOptions.Default;
        if (Check(password, scheme) is { } problem)
            throw new ArgumentException(problem, nameof(password));
        if (options.Validate() is { } bad)
            throw new ArgumentException(bad, nameof(options));

        byte[] secret = Encoding.UTF8.GetBytes(password);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        try
        {
            string hash = scheme switch
            {
                PasswordScheme.Argon2Id => Argon2id(secret, salt, options.Argon2MemoryKib, options.Argon2Iterations),
                PasswordScheme.Sha512Crypt => CryptLibrary.Crypt(secret, CryptLibrary.GenerateSetting("$6$", (ulong)options.Sha512Rounds, salt)),
                PasswordScheme.BlfCrypt => CryptLibrary.Crypt(secret, CryptLibrary.GenerateSetting("$2b$", (ulong)options.BcryptCost, salt)),
                _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
            };
            return "{" + DovecotName(scheme) + "}" + hash;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// The PHC string libsodium's <c>crypto_pwhash_str</c> writes (and Dovecot's ARGON2ID
    /// verifies): <c>$argon2id$v=19$m=KIB,t=PASSES,p=1$SALT$HASH</c>, base64 without padding.
    /// One lane: libsodium computes Argon2 with one lane only.
    /// </summary>
    internal static string Argon2id(byte[] password, byte[] salt, int memoryKib, int iterations)
    {
        using var argon = new Argon2id(password)
        {
            Salt = salt,
            DegreeOfParallelism = 1,
            MemorySize = memoryKib,
            Iterations = iterations,
        };
        byte[] hash = argon.GetBytes(Argon2HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"$argon2id$v=19$m={memoryKib},t={iterations},p=1${Convert.ToBase64String(salt).TrimEnd('=')}${Convert.ToBase64String(hash).TrimEnd('=')}");
    }
}
