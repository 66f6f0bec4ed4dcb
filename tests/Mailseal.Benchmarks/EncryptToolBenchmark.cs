using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;
using Mailseal.Core.Tests.OpenPgp.Interop;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>encrypt-tool</c>: what one message costs when a process is started per message, as gpgit
/// and pipe(8) do it. The published mailseal-encrypt (ReadyToRun single file) on a 10 KB message,
/// next to <c>gpg --encrypt</c> on the same message and a .NET hello world published the same
/// way (the floor for any .NET tool), plus gpgit.pl's measured figure from the issue (about
/// 500 ms per 10 KB message here: gpgit is not packaged). Then the peak RSS of mailseal-encrypt
/// on a 50 MB message (goal: under 100 MB).
/// </summary>
public sealed class EncryptToolBenchmark : IBenchmarkCommand
{
    /// <summary>gpgit.pl per 10 KB message on this kind of machine (issue 4; Perl module loading dominates).</summary>
    private const double GpgitMilliseconds = 500;

    /// <inheritdoc/>
    public string Name => "encrypt-tool";

    /// <inheritdoc/>
    public string Description => "mailseal-encrypt per 10 KB message (a process each) vs gpg -e vs a .NET hello world, and its peak RSS on 50 MB (goals: >= 5x gpgit's 500 ms; < 100 MB)";

    /// <inheritdoc/>
    public string Usage => "usage: Mailseal.Benchmarks encrypt-tool [--runs N] [--large-size BYTES]\n" +
        "  --runs N           processes per contender (default 30)\n" +
        "  --large-size SIZE  message for the peak RSS run (default 50M)";

    /// <inheritdoc/>
    public bool IsBenchmark => true;

    /// <inheritdoc/>
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var options = new OptionReader(args, ["--runs", "--large-size"], []);
        int runs = (int)options.Number("--runs", 30, 3, 1000);
        long largeSize = options.Sizes("--large-size", [50L * 1000 * 1000], 1024L * 1024 * 1024)[0];

        string root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("msbench-tool-");
        using var home = GnuPgHome.Create();
        try
        {
            output.WriteLine($"encrypt-tool: one process per message; {Environment.ProcessorCount} cores, load average {LoadAverage()}");
            string tool = PublishedTools.Path("mailseal-encrypt");
            string hello = Path.Combine(await PublishAsync(WriteHelloWorld(work.FullName), Path.Combine(work.FullName, "hello-bin"), cancellationToken).ConfigureAwait(false), "hello");

            const string address = "bench@bench.test";
            string fingerprint = await home.GenerateKeyAsync($"<{address}>", "ed25519", "cv25519", cancellationToken).ConfigureAwait(false);
            string keyDir = Directory.CreateDirectory(Path.Combine(work.FullName, "keys")).FullName;
            await home.ExportPublicAsync(fingerprint, Path.Combine(keyDir, address + ".asc"), cancellationToken).ConfigureAwait(false);
            string small = Path.Combine(work.FullName, "10k.eml");
            await File.WriteAllTextAsync(small, Message(10_000), cancellationToken).ConfigureAwait(false);

            // A listening syslog socket, as /dev/log is on a mail server: each run logs its line.
            string logSocket = Path.Combine(work.FullName, "log.sock");
            using var syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            syslog.Bind(new UnixDomainSocketEndPoint(logSocket));
            using var stopDrain = new CancellationTokenSource();
            var drain = DrainAsync(syslog, stopDrain.Token);
            string[] toolArgs = ["--key-dir", keyDir, "--syslog-socket", logSocket, address];
            string[] gpgArgs = ["--homedir", home.Path, "--batch", "--no-tty", "--trust-model", "always", "--yes", "--armor", "--output", "/dev/null", "--encrypt", "--recipient", fingerprint, small];

            var tool10k = await TimeAsync(tool, toolArgs, small, runs, cancellationToken).ConfigureAwait(false);
            var gpg10k = await TimeAsync(ProgramLocator.Require("gpg"), gpgArgs, null, runs, cancellationToken).ConfigureAwait(false);
            var hello10k = await TimeAsync(hello, [], null, runs, cancellationToken).ConfigureAwait(false);

            var table = new TextTable("program", "median ms per 10 KB message", "min ms", "runs", "mailseal-encrypt is");
            table.Add("mailseal-encrypt (native)", Ms(tool10k.Median), Ms(tool10k.Min), Count(runs), "-");
            table.Add("gpg --encrypt --armor", Ms(gpg10k.Median), Ms(gpg10k.Min), Count(runs), Ratio(gpg10k.Median / tool10k.Median));
            table.Add(".NET hello world (R2R single file)", Ms(hello10k.Median), Ms(hello10k.Min), Count(runs), Ratio(hello10k.Median / tool10k.Median));
            table.Add("gpgit.pl (issue's measured figure)", Ms(GpgitMilliseconds), "-", "-", Ratio(GpgitMilliseconds / tool10k.Median));
            output.WriteLine();
            table.WriteTo(output);
            output.WriteLine("  (\"mailseal-encrypt is\" = the other's time / mailseal-encrypt's: above 1x, mailseal-encrypt is faster)");

            string large = Path.Combine(work.FullName, "large.eml");
            await File.WriteAllTextAsync(large, Message(largeSize), cancellationToken).ConfigureAwait(false);
            // sh execs the tool with stdin and stdout redirected: same pid, so the sampler reads the tool's VmHWM.
            string command = "exec " + string.Join(' ', new[] { tool }.Concat(toolArgs).Select(Quote)) + " < " + Quote(large) + " > /dev/null";
            var (exit, peakKib, _, stderr) = await PeakRssSampler.RunAsync("/bin/sh", ["-c", command], TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
            if (exit != 0)
                throw new InvalidOperationException($"mailseal-encrypt on {OptionReader.FormatSize(largeSize)} exited {exit}: {stderr.Trim()}");

            await stopDrain.CancelAsync().ConfigureAwait(false);
            long logLines = await drain.ConfigureAwait(false);
            double speedup = GpgitMilliseconds / tool10k.Median;
            double peakMb = peakKib * 1024.0 / 1e6;
            output.WriteLine();
            output.WriteLine($"peak RSS of mailseal-encrypt on a {OptionReader.FormatSize(largeSize)} message: {peakMb:F1} MB");
            output.WriteLine($"syslog lines received from mailseal-encrypt: {logLines}");
            output.WriteLine();
            output.WriteLine("Goals");
            output.WriteLine($"  >= 5x faster than gpgit.pl per 10 KB message: {speedup:F1}x ({Ms(tool10k.Median)} ms vs 500 ms)  {(speedup >= 5 ? "MET" : "NOT met")}");
            output.WriteLine($"  peak RSS < 100 MB on {OptionReader.FormatSize(largeSize)}: {peakMb:F1} MB  {(peakMb < 100 ? "MET" : "NOT met")}");
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<long> DrainAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[4096];
        long lines = 0;
        try
        {
            while (true)
            {
                await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                lines++;
            }
        }
        catch (OperationCanceledException)
        {
            return lines;
        }
    }

    private static async Task<(double Median, double Min)> TimeAsync(string program, string[] args, string? stdinFile, int runs, CancellationToken ct)
    {
        var times = new List<double>();
        for (int i = 0; i < runs + 1; i++)
        {
            await using var stdin = stdinFile is null ? null : File.OpenRead(stdinFile);
            var result = (await ProcessRunner.RunAsync(new ProcessRequest(program, args) { Stdin = stdin, StdoutSink = Stream.Null, Timeout = TimeSpan.FromMinutes(1) }, ct).ConfigureAwait(false)).EnsureSuccess();
            if (i > 0)
                times.Add(result.Elapsed.TotalMilliseconds); // the first run warms the page cache
        }

        times.Sort();
        return (times[times.Count / 2], times[0]);
    }

    private static async Task<string> PublishAsync(string project, string output, CancellationToken ct)
    {
        (await ProcessRunner.RunAsync(new ProcessRequest("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-p:PublishSingleFile=true", "-p:PublishReadyToRun=true", "-p:UseAppHost=true", "-o", output, "-nologo", "-v", "quiet"]) { Timeout = TimeSpan.FromMinutes(5) }, ct).ConfigureAwait(false)).EnsureSuccess();
        return output;
    }

    private static string WriteHelloWorld(string work)
    {
        string dir = Directory.CreateDirectory(Path.Combine(work, "hello")).FullName;
        File.WriteAllText(Path.Combine(dir, "hello.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>" +
            "<AssemblyName>hello</AssemblyName><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup></Project>\n");
        File.WriteAllText(Path.Combine(dir, "Program.cs"), "System.Console.WriteLine(\"hello, world\");\n");
        return Path.Combine(dir, "hello.csproj");
    }

    private static string Message(long size)
    {
        var sb = new StringBuilder("From: Carol <carol@example.com>\nTo: bench@bench.test\nSubject: benchmark\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n");
        for (int i = 0; sb.Length < size; i++)
            sb.Append("The quick brown fox jumps over the lazy dog, line ").Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("no Toolkit.sln above the benchmark binary: run it from a checkout");
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Ms(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture) + "x";

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
