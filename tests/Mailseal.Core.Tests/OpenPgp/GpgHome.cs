namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>A throw-away GnuPG home: generates keys the way an admin's users would, exports them, and lists what gpg thinks of them.</summary>
internal sealed class GpgHome : IDisposable
{
    private readonly string _passphrase;

    /// <summary>Creates the home; keys get <paramref name="passphrase"/> (empty = unprotected). gpg's
    /// --edit-key with --command-fd cannot sign with an unprotected key in batch mode, so the
    /// revocation tests use a passphrase.</summary>
    public GpgHome(string passphrase = "")
    {
        _passphrase = passphrase;
        Path = Directory.CreateTempSubdirectory("mailseal-gpg-").FullName;
    }

    public string Path { get; }

    public ExternalProgram.Result Gpg(params string[] args) => GpgAt(null, args);

    /// <summary>Runs gpg as if the clock showed <paramref name="fakedTime"/> (yyyyMMddTHHmmss), when given.</summary>
    public ExternalProgram.Result GpgAt(string? fakedTime, params string[] args)
    {
        var all = new List<string> { "--homedir", Path, "--batch", "--pinentry-mode", "loopback", "--passphrase", _passphrase };
        if (fakedTime is not null)
            all.AddRange(["--faked-system-time", fakedTime, "--ignore-time-conflict"]);
        all.AddRange(args);
        return ExternalProgram.Run("gpg", all);
    }

    /// <summary>Generates a primary key and returns its fingerprint.</summary>
    public string Generate(string userId, string algorithm, string usage = "default", string expire = "never", string? fakedTime = null)
    {
        GpgAt(fakedTime, "--quick-gen-key", userId, algorithm, usage, expire);
        var fingerprints = Fingerprints(userId);
        if (fingerprints.Length == 0)
            throw new InvalidOperationException($"gpg lists no key for {userId}: {Gpg("--with-colons", "--list-keys").StdoutText}");
        return fingerprints[0];
    }

    public void AddKey(string fingerprint, string algorithm, string usage = "encr", string expire = "never", string? fakedTime = null)
        => GpgAt(fakedTime, "--quick-add-key", fingerprint, algorithm, usage, expire);

    /// <summary>Revokes the primary key (no subkey given) or a subkey, through --edit-key answered on --command-fd.</summary>
    public void Revoke(string fingerprint, int reasonCode, string reasonText, int? subkeyIndex = null)
    {
        string select = subkeyIndex is int i ? $"key {i}\n" : "";
        // The description ends at its first empty line.
        string description = reasonText.Length == 0 ? "\n" : $"{reasonText}\n\n";
        string answers = $"{select}revkey\ny\n{reasonCode}\n{description}y\n{_passphrase}\nsave\n";
        ExternalProgram.Run("gpg", ["--homedir", Path, "--batch", "--pinentry-mode", "loopback", "--command-fd", "0", "--yes", "--edit-key", fingerprint],
            stdin: System.Text.Encoding.UTF8.GetBytes(answers));
    }

    public void Import(byte[] data) => ExternalProgram.Run("gpg", ["--homedir", Path, "--batch", "--import"], stdin: data, check: false);

    public byte[] Export(string fingerprint, bool armor = false)
        => armor ? Gpg("--armor", "--export", fingerprint).Stdout : Gpg("--export", fingerprint).Stdout;

    public string[] Fingerprints(string query)
        => Colons(query).Where(l => l[0] == "fpr").Select(l => l[9]).ToArray();

    /// <summary>The primary fingerprint followed by the colon listing lines split into fields.</summary>
    public List<string[]> Colons(string query)
        => Gpg("--with-colons", "--fixed-list-mode", "--list-keys", query).StdoutText
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')).ToList();

    /// <summary>
    /// The key id gpg encrypts to: among pub/sub lines whose own capabilities include 'e' and
    /// whose validity is not expired, revoked, invalid or disabled, the newest; subkeys first.
    /// Null when gpg has none (no capital 'E' on the pub line).
    /// </summary>
    public string? GpgEncryptionKeyId(string fingerprint)
    {
        var lines = Colons(fingerprint);
        var pub = lines.First(l => l[0] == "pub");
        if (!pub[11].Contains('E', StringComparison.Ordinal))
            return null;
        static bool Usable(string[] l) => l[11].Contains('e', StringComparison.Ordinal) && l[1] is not ("e" or "r" or "i" or "d" or "n");
        var sub = lines.Where(l => l[0] == "sub" && Usable(l)).OrderByDescending(l => long.Parse(l[5], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        if (sub is not null)
            return sub[4];
        return Usable(pub) ? pub[4] : null;
    }

    public void Dispose()
    {
        ExternalProgram.Run("gpgconf", ["--homedir", Path, "--kill", "all"], check: false);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // gpg-agent may still be removing its socket; the temp dir is cleaned by the OS later.
        }
    }
}
