using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>maildir</c>: the native mailseal-maildir on a 1,000-message Maildir (3 folders, 1-20 KB
/// plaintext messages with Dovecot-style names and a dovecot-uidlist), with --jobs 1 and with
/// one job per core, in paired rounds against the naive peer an admin would script: one
/// <c>gpg --encrypt</c> per file (to /dev/null: no rename, no uidlist, so a lower bound of that
/// script's cost). Each round starts from a fresh copy of the same Maildir (the copy is not
/// timed). Prints msg/s and MB/s (plaintext bytes read) per contender and the paired ratios.
/// </summary>
public sealed class MaildirBenchmark : IBenchmarkCommand
{
    private const string Address = "bench@bench.test";

    /// <inheritdoc/>
    public string Name => "maildir";

    /// <inheritdoc/>
    public string Description => "native mailseal-maildir on a 1,000-message Maildir (--jobs 1 and one per core) vs gpg -e per file, paired; msg/s and MB/s";

    /// <inheritdoc/>
    public string Usage => "usage: Mailseal.Benchmarks maildir [--runs N] [--messages N]\n" +
        "  --runs N       paired rounds (default 3, 1..20), after one warm-up round\n" +
        "  --messages N   messages in the Maildir (default 1000, 10..100000)";

    /// <inheritdoc/>
    public bool IsBenchmark => true;

    /// <inheritdoc/>
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var options = new OptionReader(args, ["--runs", "--messages"], []);
        int runs = (int)options.Number("--runs", 3, 1, 20);
        int messages = (int)options.Number("--messages", 1000, 10, 100_000);
        var work = Directory.CreateTempSubdirectory("msbench-maildir-");
        using var home = GnuPgHome.Create();
        try
        {
            string tool = PublishedTools.Path("mailseal-maildir");
            string gpg = ProgramLocator.Require("gpg");
            string fingerprint = await home.GenerateKeyAsync($"<{Address}>", "ed25519", "cv25519", cancellationToken).ConfigureAwait(false);
            string keyDir = Directory.CreateDirectory(Path.Combine(work.FullName, "keys")).FullName;
            await home.ExportPublicAsync(fingerprint, Path.Combine(keyDir, Address + ".asc"), cancellationToken).ConfigureAwait(false);
            string config = Path.Combine(work.FullName, "empty.conf");
            await File.WriteAllTextAsync(config, string.Empty, cancellationToken).ConfigureAwait(false);
            string template = Path.Combine(work.FullName, "template");
            long bytes = CreateMaildir(template, messages);

            var contenders = new (string Name, Func<string, Task> Run)[]
            {
                ("mailseal-maildir --jobs 1", dir => RunToolAsync(tool, config, keyDir, dir, 1, cancellationToken)),
                ($"mailseal-maildir --jobs {Environment.ProcessorCount}", dir => RunToolAsync(tool, config, keyDir, dir, Environment.ProcessorCount, cancellationToken)),
                ("gpg --encrypt per file", dir => RunGpgAsync(gpg, home.Path, fingerprint, dir, cancellationToken)),
            };
            var times = contenders.Select(_ => new List<double>()).ToArray();
            string loadBefore = LoadAverage.Read();
            for (int round = 0; round <= runs; round++)
            {
                for (int k = 0; k < contenders.Length; k++)
                {
                    int c = (k + round) % contenders.Length;
                    string dir = Path.Combine(work.FullName, "round");
                    if (Directory.Exists(dir))
                        Directory.Delete(dir, recursive: true);
                    CopyDirectory(template, dir);
                    var clock = Stopwatch.StartNew();
                    await contenders[c].Run(dir).ConfigureAwait(false);
                    if (round > 0)
                        times[c].Add(clock.Elapsed.TotalSeconds);
                }
            }

            string loadAfter = LoadAverage.Read();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"maildir: {messages} messages, {bytes / 1e6:0.00} MB plaintext, {runs} paired rounds after 1 warm-up; load {loadBefore} -> {loadAfter}")).ConfigureAwait(false);
            await output.WriteLineAsync("contender                         median s    msg/s     MB/s  paired ratio to gpg").ConfigureAwait(false);
            for (int c = 0; c < contenders.Length; c++)
            {
                double median = Statistics.Median(times[c]);
                double ratio = Statistics.Median(times[c].Zip(times[^1], (a, g) => g / a).ToList());
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{contenders[c].Name,-32} {median,9:0.00} {messages / median,8:0.0} {bytes / 1e6 / median,8:0.00}  {ratio,6:0.00}x faster")).ConfigureAwait(false);
            }

            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static long CreateMaildir(string root, int messages)
    {
        var random = new Random(1000);
        long total = 0;
        string[] folders = [root, Path.Combine(root, ".Sent"), Path.Combine(root, ".Archive")];
        foreach (string f in folders)
        {
            foreach (string sub in new[] { "cur", "new", "tmp" })
                Directory.CreateDirectory(Path.Combine(f, sub));
        }

        var uidlists = folders.ToDictionary(f => f, _ => new StringBuilder());
        for (int i = 0; i < messages; i++)
        {
            string folder = folders[i % folders.Length];
            var body = new StringBuilder();
            int size = random.Next(1_000, 20_000);
            while (body.Length < size)
                body.Append("A line of an ordinary message body, about sixty characters.\n");
            string text = $"From: <alice@example.org>\nTo: <{Address}>\nSubject: message {i}\nMessage-ID: <{i}@bench>\nContent-Type: text/plain; charset=utf-8\n\n{body}";
            byte[] data = Encoding.UTF8.GetBytes(text);
            string unique = string.Create(CultureInfo.InvariantCulture, $"{1600000000 + i}.M{i}P1.bench");
            string baseName = string.Create(CultureInfo.InvariantCulture, $"{unique},S={data.Length},W={data.Length + text.Count(ch => ch == '\n')}");
            File.WriteAllBytes(Path.Combine(folder, "cur", baseName + ":2,S"), data);
            uidlists[folder].Append(CultureInfo.InvariantCulture, $"{i + 1} :{baseName}\n");
            total += data.Length;
        }

        foreach (var (folder, lines) in uidlists)
            File.WriteAllText(Path.Combine(folder, "dovecot-uidlist"), string.Create(CultureInfo.InvariantCulture, $"3 V1600000000 N{messages + 1} G00\n") + lines);
        return total;
    }

    private static async Task RunToolAsync(string tool, string config, string keyDir, string maildir, int jobs, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(tool, ["encrypt", "--config", config, "--user", Address, "--maildir", maildir, "--key-dir", keyDir,
            "--doveadm", "none", "--allow-root", "--quiet", "--jobs", jobs.ToString(CultureInfo.InvariantCulture), "--syslog-socket", Path.Combine(maildir, "no-syslog")],
            timeout: TimeSpan.FromMinutes(30), ct: ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw new InvalidOperationException("mailseal-maildir failed: " + r.Output);
    }

    private static async Task RunGpgAsync(string gpg, string home, string fingerprint, string maildir, CancellationToken ct)
    {
        foreach (string file in Directory.GetFiles(maildir, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "cur"))
        {
            var r = await ProcessRunner.RunAsync(gpg, ["--homedir", home, "--batch", "--trust-model", "always", "--armor", "--output", "/dev/null", "--yes", "--encrypt", "-r", fingerprint, file], ct: ct).ConfigureAwait(false);
            if (r.ExitCode != 0)
                throw new InvalidOperationException("gpg failed: " + r.StandardError);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories).Prepend(from))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

}
