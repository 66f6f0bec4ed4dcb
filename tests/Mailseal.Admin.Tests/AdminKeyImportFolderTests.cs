using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Cli;

namespace Mailseal.Admin.Tests;

/// <summary>
/// <c>key import DIR</c> into the key folder with a few hundred GnuPG-made keys among files an
/// attacker or a careless admin would leave there: each file gets its line, a refused one stops
/// nothing, the summary counts, the exit code says whether anything was refused, progress goes
/// to stderr only when asked (or on a terminal), and nothing in a name is ever executed.
/// </summary>
public sealed class AdminKeyImportFolderTests : IClassFixture<BulkKeys>, IDisposable
{
    private readonly BulkKeys _keys;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "admin-bulk-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _keyDir;
    private readonly string _config;

    public AdminKeyImportFolderTests(BulkKeys keys)
    {
        _keys = keys;
        _keyDir = Path.Combine(_dir, "keys");
        Directory.CreateDirectory(_keyDir);
        _config = Path.Combine(_dir, "mailseal.conf");
        File.WriteAllText(_config, $"key_dir = {_keyDir}\n");
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new MemoryStream();
        var error = new StringWriter();
        int code = await AdminProgram.RunAsync(["--config", _config, .. args], new ToolContext(new MemoryStream(), output, error), CancellationToken.None);
        return (code, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }

    private string NewFolder(string name, bool allKeys = true)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        if (allKeys)
        {
            foreach (var (address, armored) in _keys.Armored)
                File.WriteAllText(Path.Combine(folder, address + ".asc"), armored);
        }

        return folder;
    }

    private static string[] Lines(string text, string prefix) =>
        [.. text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    [Fact]
    public async Task Hundreds_of_keys_import_past_bad_files_each_with_its_line_and_a_summary()
    {
        string folder = NewFolder("import");
        string other = _keys.Armored[BulkKeys.Address(1)];
        // What must be refused, each for its reason, without stopping the rest.
        File.WriteAllText(Path.Combine(folder, $"stranger@{BulkKeys.Domain}.asc"), other);          // names another address
        File.WriteAllText(Path.Combine(folder, $"junk@{BulkKeys.Domain}.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 !!!\n-----END PGP PUBLIC KEY BLOCK-----\n");
        File.WriteAllText(Path.Combine(folder, "README"), "keys of bulk.example\n");
        File.WriteAllText(Path.Combine(folder, $"x;touch pwned;$(touch pwned)@{BulkKeys.Domain}.asc"), other);
        File.WriteAllText(Path.Combine(folder, $"line\nbreak\u001b[31m@{BulkKeys.Domain}.asc"), other);
        File.WriteAllText(Path.Combine(folder, $"o'brien\"q@{BulkKeys.Domain}.asc"), other);         // a quote is no dot-atom
        using (var big = File.Create(Path.Combine(folder, $"big@{BulkKeys.Domain}.asc")))
            big.SetLength(2 * 1024 * 1024);
        Directory.CreateDirectory(Path.Combine(folder, $"sub@{BulkKeys.Domain}.asc"));
        File.CreateSymbolicLink(Path.Combine(folder, $"alias@{BulkKeys.Domain}.asc"), Path.Combine(folder, BulkKeys.Address(2) + ".asc"));
        string fifo = Path.Combine(folder, $"fifo@{BulkKeys.Domain}.asc");
        using (var mkfifo = Process.Start("mkfifo", [fifo])!)
            await mkfifo.WaitForExitAsync();
        Assert.True(File.Exists(fifo));
        const int Bad = 10;

        var (code, output, err) = await RunAsync("key", "import", folder, "--store", "folder", "--progress");

        Assert.Equal(65, code);
        string[] imported = Lines(output, "imported ");
        Assert.Equal(BulkKeys.Count, imported.Length);
        Assert.Contains($"imported  {BulkKeys.Address(7)} {_keys.Fingerprints[BulkKeys.Address(7)]}", output, StringComparison.Ordinal);
        string[] refused = Lines(output, "refused ");
        Assert.Equal(Bad, refused.Length);
        Assert.Contains(refused, l => l.Contains("stranger@", StringComparison.Ordinal) && l.Contains("no user id of the key names", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("junk@", StringComparison.Ordinal) && l.Contains("not an OpenPGP public key", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("README", StringComparison.Ordinal) && l.Contains("not ADDRESS.asc", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("x;touch", StringComparison.Ordinal) && l.Contains("not an address", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("line\\x0Abreak\\x1B[31m", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("o'brien\"q@", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("big@", StringComparison.Ordinal) && l.Contains("larger than", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("sub@", StringComparison.Ordinal) && l.Contains("directory", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("alias@", StringComparison.Ordinal) && l.Contains("symlink", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.Contains("fifo@", StringComparison.Ordinal) && l.Contains("FIFO", StringComparison.Ordinal));
        Assert.DoesNotContain("\u001b", output, StringComparison.Ordinal);
        Assert.EndsWith($"key import: {BulkKeys.Count} imported, 0 unchanged, {Bad} refused, of {BulkKeys.Count + Bad} files\n", output, StringComparison.Ordinal);

        // Only the good keys reached the key folder, each with its own key; nothing ran.
        string[] stored = [.. Directory.GetFiles(_keyDir).Select(e => Path.GetFileName(e)).OfType<string>()];
        Assert.Equal(BulkKeys.Count, stored.Length);
        Assert.All(stored, s => Assert.Matches("^user[0-9]+@bulk\\.example\\.asc$", s));
        Assert.Equal(_keys.Armored[BulkKeys.Address(299)], await File.ReadAllTextAsync(Path.Combine(_keyDir, BulkKeys.Address(299) + ".asc")));
        Assert.False(File.Exists(Path.Combine(folder, "pwned")) || File.Exists("pwned"));

        // --progress without a terminal: a line per 5 % on stderr, ending at the total; no result lines there.
        string[] progress = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(progress.Length, 20, 21);
        Assert.All(progress, l => Assert.StartsWith("key import: ", l, StringComparison.Ordinal));
        Assert.Equal($"key import: {BulkKeys.Count + Bad}/{BulkKeys.Count + Bad} (100%)", progress[^1]);
    }

    [Fact]
    public async Task A_second_run_finds_every_key_unchanged_and_a_rotated_one_imported()
    {
        string folder = NewFolder("rerun");
        var (code, _, err) = await RunAsync("key", "import", folder, "--store", "folder");
        Assert.True(code == 0, err);
        Assert.Empty(err); // no terminal, no --progress: no progress

        File.WriteAllText(Path.Combine(folder, BulkKeys.Address(0) + ".asc"), _keys.SecondUser0Armored);
        (code, string output, err) = await RunAsync("key", "import", folder, "--store", "folder", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(1, json.RootElement.GetProperty("imported").GetInt32());
        Assert.Equal(BulkKeys.Count - 1, json.RootElement.GetProperty("unchanged").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("refused").GetInt32());
        Assert.True(json.RootElement.GetProperty("complete").GetBoolean());
        var first = json.RootElement.GetProperty("keys")[0];
        Assert.Equal(BulkKeys.Address(0), first.GetProperty("address").GetString());
        Assert.Equal("imported", first.GetProperty("result").GetString());
        Assert.Equal(_keys.SecondUser0Armored, await File.ReadAllTextAsync(Path.Combine(_keyDir, BulkKeys.Address(0) + ".asc")));
    }

    [Theory]
    [InlineData("10 KB")]
    [InlineData("no-such-folder")]
    [InlineData("a\0b")]
    [InlineData("../../../../../../../../etc/../nonexistent; rm -rf /")]
    public async Task A_folder_that_is_not_there_is_refused_with_a_message(string name)
    {
        var (code, output, err) = await RunAsync("key", "import", name == "10 KB" ? new string('d', 10240) : name, "--store", "folder");
        Assert.Equal(65, code);
        Assert.Empty(output);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("no folder", err, StringComparison.Ordinal);
        Assert.DoesNotContain("\0", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_whose_name_is_hostile_is_read_literally()
    {
        string folder = NewFolder("it's \"odd\"; touch pwned2 $(touch pwned3) `touch pwned4` ..", allKeys: false);
        File.WriteAllText(Path.Combine(folder, BulkKeys.Address(3) + ".asc"), _keys.Armored[BulkKeys.Address(3)]);
        var (code, output, err) = await RunAsync("key", "import", folder, "--store", "folder");
        Assert.True(code == 0, err);
        Assert.Contains("1 imported", output, StringComparison.Ordinal);
        Assert.All(new[] { "pwned2", "pwned3", "pwned4" }, f => Assert.False(File.Exists(Path.Combine(_dir, f)) || File.Exists(f)));
    }

    [Fact]
    public async Task The_key_folder_itself_is_not_a_source()
    {
        var (code, _, err) = await RunAsync("key", "import", _keyDir, "--store", "folder");
        Assert.Equal(65, code);
        Assert.Contains("key folder itself", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_given_as_a_single_key_is_refused_not_waited_on()
    {
        string fifo = Path.Combine(_dir, "key.fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo])!)
            await mkfifo.WaitForExitAsync();
        var run = RunAsync("key", "import", BulkKeys.Address(4), fifo, "--store", "folder");
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))));
        var (code, _, err) = await run;
        Assert.Equal(65, code);
        Assert.Contains("FIFO", err, StringComparison.Ordinal);
    }
}
