namespace Mailseal.Admin.Passwords;

/// <summary>
/// Cost parameters of the password schemes. Every login pays them once (Dovecot verifies the
/// hash), so they trade brute-force resistance for login latency; the defaults cost about a
/// quarter second on one core of a small server.
/// </summary>
public sealed record PasswordHashOptions
{
    /// <summary>The defaults.</summary>
    public static PasswordHashOptions Default { get; } = new();

    /// <summary>Argon2id memory in KiB (libsodium's "moderate" limit is 256 MiB; 64 MiB keeps a busy IMAP server's auth workers small).</summary>
    public int Argon2MemoryKib { get; init; } = 65536;

    /// <summary>Argon2id passes over the memory.</summary>
    public int Argon2Iterations { get; init; } = 3;

    /// <summary>SHA512-CRYPT rounds (crypt(3) accepts 1000 to 999999999; 5000 is the spec's default and too few today).</summary>
    public int Sha512Rounds { get; init; } = 100_000;

    /// <summary>BLF-CRYPT cost, log2 of the rounds (4 to 31).</summary>
    public int BcryptCost { get; init; } = 12;

    /// <summary>Checks the values are ones the schemes and Dovecot accept; returns the problem or null.</summary>
    public string? Validate()
    {
        if (Argon2MemoryKib is < 8192 or > 4 * 1024 * 1024)
            return "argon2 memory must be 8192 to 4194304 KiB";
        if (Argon2Iterations is < 1 or > 100)
            return "argon2 iterations must be 1 to 100";
        if (Sha512Rounds is < 1000 or > 999_999_999)
            return "sha512 rounds must be 1000 to 999999999";
        if (BcryptCost is < 4 or > 31)
            return "bcrypt cost must be 4 to 31";
        return null;
    }
}
