using System.Diagnostics;
using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>encrypt-child FILE CERT [--armor]</c>: encrypts FILE to CERT's encryption key, streaming,
/// into /dev/null, then prints <c>vmhwm_kib=N bytes=B seconds=S</c>, N being the process's own
/// peak RSS (VmHWM in /proc/PID/status). The encrypt benchmark runs it as a child process so the
/// peak belongs to one encryption alone.
/// </summary>
public sealed class EncryptChildCommand : IBenchmarkCommand
{
    /// <inheritdoc />
    public string Name => "encrypt-child";

    /// <inheritdoc />
    public string Description => "(helper) encrypt FILE to CERT into /dev/null and print the peak RSS";

    /// <inheritdoc />
    public string Usage => "  FILE CERT   plaintext file, certificate file\n  --armor     ASCII-armored output";

    /// <inheritdoc />
    public bool IsBenchmark => false;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        var options = new OptionReader(args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToList(), [], ["--armor"]);
        if (positional.Count != 2)
            throw new UsageException("usage: encrypt-child FILE CERT [--armor]");

        var recipient = EncryptBenchmark.RecipientOf(await File.ReadAllBytesAsync(positional[1], cancellationToken).ConfigureAwait(false));
        var encryptor = new PgpEncryptor(EncryptBenchmark.Options(options.Has("--armor")));
        var clock = Stopwatch.StartNew();
        long bytes;
        using (var input = new FileStream(positional[0], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        using (var sink = new FileStream("/dev/null", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16))
        {
            await encryptor.EncryptAsync(input, sink, [recipient], cancellationToken).ConfigureAwait(false);
            bytes = input.Length;
        }

        clock.Stop();
        await output.WriteLineAsync($"vmhwm_kib={PeakRssKib()} bytes={bytes} seconds={clock.Elapsed.TotalSeconds:F3}").ConfigureAwait(false);
        return Mailseal.Core.ExitCodes.Ok;
    }

    /// <summary>VmHWM of this process from /proc/self/status, in KiB.</summary>
    public static long PeakRssKib() => PeakRssSampler.ReadVmHwmKib("/proc/self/status");
}
