using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

public sealed class KeyFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mailseal-keys-").FullName;
    private readonly string _dir;
    private readonly CertificateCache _cache = new();

    public KeyFolderTests()
    {
        _dir = Path.Combine(_root, "keys");
        Directory.CreateDirectory(_dir);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private KeyFolder Folder(TimeProvider? clock = null, string delimiter = "+", int maxKeyBytes = 1024 * 1024) =>
        new(_dir, new KeyDirectoryOptions
        {
            LocalDomains = ["example.org", "Example.NET"],
            RecipientDelimiter = delimiter,
            TimeProvider = clock ?? FixedClock.KeysValid,
            MaxKeyBytes = maxKeyBytes,
        }, _cache);

    private void Install(string keyFile, string address) =>
        File.Copy(TestKeys.PathOf(keyFile), Path.Combine(_dir, address + ".asc"), overwrite: true);

    [Fact]
    public async Task Finds_a_usable_key_by_lower_cased_address_and_extension()
    {
        Install("alice.asc", "alice@example.org");
        KeyFolder folder = Folder();

        foreach (string address in new[] { "alice@example.org", "Alice@EXAMPLE.org", "<alice+lists@example.org>" })
        {
            KeyLookupResult r = await folder.LookupAsync(address, CancellationToken.None);
            Assert.True(r.IsLocal);
            Assert.True(r.Found);
            Assert.True(r.HasUsableKey, r.Reason);
            Assert.Null(r.Reason);
            Assert.Equal(TestKeys.AliceFingerprint, r.Certificate!.FingerprintHex);
            Assert.Equal(TestKeys.AliceEncryptionSubkey, Convert.ToHexString(r.Recipient!.Key.Fingerprint));
            Assert.Equal(Path.Combine(_dir, "alice@example.org.asc"), r.Source);
        }
    }

    [Fact]
    public async Task Binary_key_files_are_read_too()
    {
        File.Copy(TestKeys.PathOf("alice.gpg"), Path.Combine(_dir, "alice@example.org.asc"));
        KeyLookupResult r = await Folder().LookupAsync("alice@example.org", CancellationToken.None);
        Assert.True(r.HasUsableKey, r.Reason);
    }

    [Fact]
    public async Task A_key_for_the_full_extension_address_wins_over_the_base_address()
    {
        Install("alice.asc", "bob@example.org");
        Install("signer-signonly.asc", "bob+secret@example.org");
        KeyLookupResult r = await Folder().LookupAsync("bob+secret@example.org", CancellationToken.None);
        Assert.Equal(Path.Combine(_dir, "bob+secret@example.org.asc"), r.Source);
        Assert.False(r.HasUsableKey);
    }

    [Fact]
    public async Task A_symlink_is_an_alias()
    {
        Install("alice.asc", "alice@example.org");
        File.CreateSymbolicLink(Path.Combine(_dir, "postmaster@example.net.asc"), "alice@example.org.asc");
        KeyLookupResult r = await Folder().LookupAsync("Postmaster@example.net", CancellationToken.None);
        Assert.True(r.HasUsableKey, r.Reason);
        Assert.Equal(TestKeys.AliceFingerprint, r.Certificate!.FingerprintHex);
    }

    [Fact]
    public async Task Local_domain_without_key_file_is_local_with_a_reason_and_other_domains_are_not_local()
    {
        KeyFolder folder = Folder();

        KeyLookupResult local = await folder.LookupAsync("Carol@Example.net", CancellationToken.None);
        Assert.True(local.IsLocal);
        Assert.False(local.Found);
        Assert.False(local.HasUsableKey);
        Assert.Equal("no key for carol@example.net", local.Reason);

        KeyLookupResult remote = await folder.LookupAsync("dave@elsewhere.example", CancellationToken.None);
        Assert.False(remote.IsLocal);
        Assert.False(remote.Found);
        Assert.Equal("dave@elsewhere.example is not a local address", remote.Reason);
    }

    [Fact]
    public async Task A_key_file_makes_its_address_local_even_outside_local_domains()
    {
        Install("alice.asc", "alice@other.example");
        KeyLookupResult r = await Folder().LookupAsync("alice@other.example", CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.True(r.HasUsableKey, r.Reason);
    }

    [Fact]
    public async Task Expired_and_sign_only_keys_are_unusable_with_the_reason()
    {
        Install("bob-expired.asc", "bob@example.org");
        Install("signer-signonly.asc", "signer@example.org");

        KeyLookupResult valid = await Folder(FixedClock.KeysValid).LookupAsync("bob@example.org", CancellationToken.None);
        Assert.True(valid.HasUsableKey, valid.Reason);

        KeyLookupResult expired = await Folder(FixedClock.BobExpired).LookupAsync("bob@example.org", CancellationToken.None);
        Assert.True(expired.IsLocal);
        Assert.False(expired.HasUsableKey);
        Assert.Equal("key 0xFEF37FEE824BA2D2 expired on 2026-11-23", expired.Reason);

        KeyLookupResult signOnly = await Folder().LookupAsync("signer@example.org", CancellationToken.None);
        Assert.False(signOnly.HasUsableKey);
        Assert.Contains("0x19F80589CC9C29A9", signOnly.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_several_certificates_the_first_usable_one_is_chosen()
    {
        byte[] both = [.. TestKeys.Read("bob-expired.asc"), .. TestKeys.Read("alice.asc")];
        File.WriteAllBytes(Path.Combine(_dir, "team@example.org.asc"), both);
        KeyLookupResult r = await Folder(FixedClock.BobExpired).LookupAsync("team@example.org", CancellationToken.None);
        Assert.Equal(2, r.Certificates.Count);
        Assert.Equal(TestKeys.AliceFingerprint, r.Certificate!.FingerprintHex);

        File.WriteAllBytes(Path.Combine(_dir, "none@example.org.asc"), [.. TestKeys.Read("bob-expired.asc"), .. TestKeys.Read("signer-signonly.asc")]);
        KeyLookupResult none = await Folder(FixedClock.BobExpired).LookupAsync("none@example.org", CancellationToken.None);
        Assert.StartsWith("no usable key for none@example.org: key 0xFEF37FEE824BA2D2 expired on 2026-11-23; ", none.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_or_oversized_key_file_is_local_and_unusable_with_the_reason()
    {
        File.WriteAllText(Path.Combine(_dir, "broken@example.org.asc"), "this is not a key\n");
        KeyLookupResult broken = await Folder().LookupAsync("broken@example.org", CancellationToken.None);
        Assert.True(broken.IsLocal);
        Assert.True(broken.Found);
        Assert.False(broken.HasUsableKey);
        Assert.StartsWith($"key file {Path.Combine(_dir, "broken@example.org.asc")}: the key data is neither ASCII-armored", broken.Reason, StringComparison.Ordinal);

        Install("alice.asc", "big@example.org");
        KeyLookupResult big = await Folder(maxKeyBytes: 100).LookupAsync("big@example.org", CancellationToken.None);
        Assert.EndsWith("larger than 100 bytes (MaxKeyBytes)", big.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside@example.org")]
    [InlineData("..@example.org")]
    [InlineData("x/../../outside@example.org")]
    [InlineData("a\0@example.org")]
    public async Task Addresses_that_could_leave_the_folder_are_refused_without_touching_files(string address)
    {
        // A key right outside the folder that a path escape would reach.
        File.Copy(TestKeys.PathOf("alice.asc"), Path.Combine(_root, "outside@example.org.asc"));
        KeyLookupResult r = await Folder().LookupAsync(address, CancellationToken.None);
        Assert.False(r.HasUsableKey);
        Assert.False(r.Found);
        Assert.True(r.IsLocal, "a malformed address in a local domain must be deferred, not passed");
        Assert.NotNull(r.Reason);
        Assert.Equal(0, _cache.ParseCount);
    }

    [Fact]
    public async Task Certificates_are_parsed_once_and_again_only_when_the_file_changes()
    {
        string path = Path.Combine(_dir, "alice@example.org.asc");
        Install("alice.asc", "alice@example.org");
        KeyFolder folder = Folder();

        for (int i = 0; i < 50; i++)
        {
            Assert.True((await folder.LookupAsync("alice@example.org", CancellationToken.None)).HasUsableKey);
        }

        Assert.Equal(1, _cache.ParseCount);
        Assert.Equal(49, _cache.HitCount);

        // Same size, new content and mtime: noticed.
        Install("signer-signonly.asc", "alice@example.org");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        KeyLookupResult replaced = await folder.LookupAsync("alice@example.org", CancellationToken.None);
        Assert.Equal(TestKeys.SignerFingerprint, replaced.Certificates[0].FingerprintHex);
        Assert.Equal(2, _cache.ParseCount);

        // A second folder object in the same process shares the cache.
        await Folder().LookupAsync("alice@example.org", CancellationToken.None);
        Assert.Equal(2, _cache.ParseCount);
    }

    [Fact]
    public async Task A_missing_folder_means_no_keys()
    {
        var folder = new KeyFolder(Path.Combine(_root, "absent"), new KeyDirectoryOptions { LocalDomains = ["example.org"] }, _cache);
        KeyLookupResult r = await folder.LookupAsync("alice@example.org", CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.Equal("no key for alice@example.org", r.Reason);
    }

    [Fact]
    public async Task A_directory_where_a_key_file_should_be_is_an_error_for_the_admin()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "odd@example.org.asc"));
        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => Folder().LookupAsync("odd@example.org", CancellationToken.None));
        Assert.Equal($"key file {Path.Combine(_dir, "odd@example.org.asc")}: is a directory, not a regular file (a key file must be a file or a symlink to one)", e.Message);
        Assert.Equal("4.3.5", e.EnhancedStatusCode);
    }

    [Fact]
    public async Task A_cancelled_lookup_throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Folder().LookupAsync("alice@example.org", cts.Token));
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("symlink-to-fifo")]
    public async Task A_fifo_key_file_is_an_error_for_the_admin_at_once_never_a_wait(string kind)
    {
        string fifo = Path.Combine(_root, "a-fifo");
        Assert.Equal(0, await Mkfifo(fifo));
        string keyFile = Path.Combine(_dir, "odd@example.org.asc");
        if (kind == "fifo")
            File.Move(fifo, keyFile);
        else
            File.CreateSymbolicLink(keyFile, fifo);

        // Before the fix open(2) blocked for ever on a FIFO without a writer.
        var lookup = Folder().LookupAsync("odd@example.org", CancellationToken.None);
        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => lookup.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal($"key file {keyFile}: is a FIFO (named pipe), not a regular file (a key file must be a file or a symlink to one)", e.Message);
        Assert.Equal("4.3.5", e.EnhancedStatusCode);
    }

    /// <summary>
    /// A regular key file whose read never returns (a FUSE file system standing in for a hung
    /// NFS server): the lookup gives up at KeyReadTimeout with a 4.4.3, on the pool (daemons) and
    /// on a thread of its own (one-message tools). Without the limit it waits for ever.
    /// </summary>
    [Theory]
    [InlineData(false, "alice@example.org")]
    [InlineData(true, "alice@example.org")]
    [InlineData(true, "hang-open@example.org")]
    public async Task A_key_file_whose_read_hangs_is_given_up_at_the_key_read_timeout(bool ownThread, string address)
    {
        await using var hung = await HangingFileSystem.MountAsync(Path.Combine(_root, "hung"));
        var folder = new KeyFolder(hung.MountPoint, new KeyDirectoryOptions
        {
            LocalDomains = ["example.org"],
            KeyReadTimeout = TimeSpan.FromSeconds(1),
            ReadOnOwnThread = ownThread,
        }, _cache);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => folder.LookupAsync(address, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20));
        Assert.Equal($"key folder {hung.MountPoint}: no answer within 1 s (a hung file system?)", e.Message);
        Assert.Equal("4.4.3", e.EnhancedStatusCode);
    }

    [Theory]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("/dev/null", "is a character device, not a regular file")]
    public async Task A_key_symlink_to_a_device_says_what_is_wrong(string target, string reason)
    {
        File.CreateSymbolicLink(Path.Combine(_dir, "odd@example.org.asc"), target);
        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => Folder().LookupAsync("odd@example.org", CancellationToken.None));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_key_file_says_so()
    {
        File.WriteAllBytes(Path.Combine(_dir, "odd@example.org.asc"), []);
        KeyLookupResult r = await Folder().LookupAsync("odd@example.org", CancellationToken.None);
        Assert.False(r.HasUsableKey);
        Assert.Contains("the file is empty", r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob@xn--mil-qla.example", "bob@mäil.example")]
    [InlineData("bob@xn--mil-qla.example", "Bob@MÄIL.Example.")]
    [InlineData("bob@xn--mil-qla.example", "bob@xn--MIL-qla.example")]
    [InlineData("bob@mäil.example", "bob@mäil.example")]
    [InlineData("bob@mäil.example", "bob@xn--mil-qla.example")]
    public async Task An_internationalised_domain_finds_the_key_under_either_spelling(string keyName, string recipient)
    {
        Install("alice.asc", keyName);
        KeyLookupResult r = await Folder().LookupAsync(recipient, CancellationToken.None);
        Assert.True(r.HasUsableKey, r.Reason);
        Assert.Equal("bob@xn--mil-qla.example", r.Address);
    }

    [Theory]
    [InlineData("mäil.example")]
    [InlineData("xn--mil-qla.example")]
    [InlineData("MÄIL.EXAMPLE")]
    public async Task A_local_domain_in_either_spelling_makes_a_unicode_recipient_local(string localDomain)
    {
        var folder = new KeyFolder(_dir, new KeyDirectoryOptions { LocalDomains = [localDomain], TimeProvider = FixedClock.KeysValid }, _cache);
        foreach (string recipient in new[] { "bob@mäil.example", "bob@xn--mil-qla.example", "bob@MÄIL.example" })
        {
            KeyLookupResult r = await folder.LookupAsync(recipient, CancellationToken.None);
            Assert.True(r.IsLocal, recipient);
            Assert.False(r.HasUsableKey);
        }
    }

    private static async Task<int> Mkfifo(string path)
    {
        using var p = System.Diagnostics.Process.Start("mkfifo", [path]);
        await p.WaitForExitAsync();
        return p.ExitCode;
    }
}
