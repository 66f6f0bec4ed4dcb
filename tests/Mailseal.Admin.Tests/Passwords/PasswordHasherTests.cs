using System.Text;
using Mailseal.Admin.Passwords;

namespace Mailseal.Admin.Tests.Passwords;

public class PasswordHasherTests
{
    private static readonly PasswordHashOptions Fast = new() { Sha512Rounds = 5000, BcryptCost = 5, Argon2MemoryKib = 8192, Argon2Iterations = 1 };

    // The test vectors of the SHA-crypt specification (Drepper, "Unix crypt using SHA-256 and SHA-512").
    [Theory]
    [InlineData("$6$saltstring", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")]
    [InlineData("$6$rounds=10000$saltstringsaltstring", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.")]
    [InlineData("$6$rounds=5000$toolongsaltstring", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0")]
    public void Sha512_crypt_matches_the_specification_vectors(string setting, string password, string expected) =>
        Assert.Equal(expected, CryptLibrary.Crypt(Encoding.UTF8.GetBytes(password), setting));

    // The specification clamps rounds=10 to 1000; libxcrypt refuses it instead (its hardening),
    // and PasswordHashOptions never asks for fewer than 1000.
    [Fact]
    public void Too_few_rounds_are_refused_not_clamped() =>
        Assert.Throws<InvalidOperationException>(() => CryptLibrary.Crypt("pw"u8, "$6$rounds=10$roundstoolow"));

    // OpenBSD's bcrypt vector (also in John the Ripper's and libxcrypt's tests).
    [Fact]
    public void Bcrypt_matches_the_known_vector() =>
        Assert.Equal("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            CryptLibrary.Crypt("U*U"u8, "$2a$05$CCCCCCCCCCCCCCCCCCCCC."));

    [Theory]
    [InlineData(PasswordScheme.Argon2Id)]
    [InlineData(PasswordScheme.Sha512Crypt)]
    [InlineData(PasswordScheme.BlfCrypt)]
    public async Task Dovecot_verifies_each_scheme_and_refuses_a_wrong_password(PasswordScheme scheme)
    {
        const string password = "correct horse ' \"; battery ü";
        string hash = PasswordHasher.Hash(password, scheme, Fast);
        Assert.StartsWith("{" + PasswordHasher.DovecotName(scheme) + "}", hash, StringComparison.Ordinal);
        Assert.Equal(0, (await Doveadm(hash, password)).ExitCode);
        Assert.NotEqual(0, (await Doveadm(hash, password + "x")).ExitCode);
    }

    [Fact]
    public async Task Argon2id_recomputes_the_hash_doveadm_wrote()
    {
        // Dovecot hashes with libsodium; our managed Argon2id must give the same bytes for its salt and costs.
        var r = await Run("doveadm", ["pw", "-s", "ARGON2ID", "-p", "pässword"]);
        string phc = r.Output.Trim()["{ARGON2ID}".Length..];
        string[] parts = phc.Split('$'); // "", argon2id, v=19, m=..,t=..,p=1, salt, hash
        var costs = parts[3].Split(',').Select(kv => int.Parse(kv[2..], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        byte[] salt = Convert.FromBase64String(Pad(parts[4]));
        Assert.Equal(phc, PasswordHasher.Argon2id(Encoding.UTF8.GetBytes("pässword"), salt, costs[0], costs[1]));
    }

    [Fact]
    public void Each_hash_has_a_fresh_salt()
    {
        Assert.NotEqual(PasswordHasher.Hash("same", PasswordScheme.Sha512Crypt, Fast), PasswordHasher.Hash("same", PasswordScheme.Sha512Crypt, Fast));
        Assert.NotEqual(PasswordHasher.Hash("same", PasswordScheme.Argon2Id, Fast), PasswordHasher.Hash("same", PasswordScheme.Argon2Id, Fast));
    }

    [Fact]
    public void Rounds_and_cost_are_written_into_the_hash()
    {
        Assert.Contains("$6$rounds=12345$", PasswordHasher.Hash("pw", PasswordScheme.Sha512Crypt, Fast with { Sha512Rounds = 12345 }), StringComparison.Ordinal);
        Assert.StartsWith("{BLF-CRYPT}$2b$06$", PasswordHasher.Hash("pw", PasswordScheme.BlfCrypt, Fast with { BcryptCost = 6 }), StringComparison.Ordinal);
        Assert.Contains("$m=8192,t=2,p=1$", PasswordHasher.Hash("pw", PasswordScheme.Argon2Id, Fast with { Argon2Iterations = 2 }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", PasswordScheme.Argon2Id, "empty")]
    [InlineData("a\0b", PasswordScheme.Sha512Crypt, "NUL")]
    public void Passwords_a_hash_cannot_hold_are_refused(string password, PasswordScheme scheme, string why)
    {
        Assert.Contains(why, PasswordHasher.Check(password, scheme), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PasswordHasher.Hash(password, scheme, Fast));
    }

    [Fact]
    public void A_lone_surrogate_is_refused() =>
        Assert.Contains("Unicode", PasswordHasher.Check("a" + (char)0xD800 + "b", PasswordScheme.Argon2Id), StringComparison.Ordinal);

    [Fact]
    public void Bcrypt_refuses_what_it_would_truncate_and_every_scheme_refuses_10_kilobytes()
    {
        Assert.Contains("72 bytes", PasswordHasher.Check(new string('a', 73), PasswordScheme.BlfCrypt), StringComparison.Ordinal);
        Assert.Null(PasswordHasher.Check(new string('a', 72), PasswordScheme.BlfCrypt));
        Assert.Null(PasswordHasher.Check(new string('a', 73), PasswordScheme.Sha512Crypt));
        foreach (PasswordScheme scheme in Enum.GetValues<PasswordScheme>())
            Assert.NotNull(PasswordHasher.Check(new string('a', 10240), scheme));
    }

    [Fact]
    public void Scheme_names_are_dovecots()
    {
        Assert.True(PasswordHasher.TryParseScheme("sha512-crypt", out var s));
        Assert.Equal(PasswordScheme.Sha512Crypt, s);
        Assert.False(PasswordHasher.TryParseScheme("SHA512", out _));
        Assert.False(PasswordHasher.TryParseScheme("PLAIN", out _));
    }

    private static string Pad(string b64) => b64 + new string('=', (4 - (b64.Length % 4)) % 4);

    private static Task<(int ExitCode, string Output)> Doveadm(string hash, string password) =>
        Run("doveadm", ["pw", "-t", hash, "-p", password]);

    private static async Task<(int ExitCode, string Output)> Run(string file, string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (p.ExitCode, await output + await error);
    }
}
