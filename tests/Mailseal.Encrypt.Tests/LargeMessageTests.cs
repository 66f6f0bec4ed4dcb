using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Mailseal.Encrypt.Tests;

/// <summary>Memory stays flat: a 50 MB message through the real tool, peak RSS read from /proc while it runs.</summary>
public sealed class LargeMessageTests(ToolKeys keys) : IClassFixture<ToolKeys>
{
    private const long PeakRssLimit = 100L * 1024 * 1024;

    [Fact]
    public async Task A_50_MB_message_is_encrypted_with_peak_rss_under_100_MB_and_decrypts()
    {
        if (!OperatingSystem.IsLinux())
            throw new Xunit.Sdk.XunitException("this test reads /proc");
        var head = Encoding.ASCII.GetBytes("From: bob@example.net\nTo: alice@example.org\nSubject: big\nMIME-Version: 1.0\n"
            + "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nsee attachment\n"
            + "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n");
        var line = new byte[77];
        var rng = new Random(11);
        const int lines = 50 * 1024 * 1024 / 77;
        var expectedInner = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        expectedInner.AppendData("Content-Type: multipart/mixed; boundary=\"b\"\n\n"u8);
        expectedInner.AppendData(head.AsSpan(Encoding.ASCII.GetString(head).IndexOf("\n\n", StringComparison.Ordinal) + 2));

        var psi = new ProcessStartInfo(ToolProcess.ToolPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--config", keys.EmptyConfig, "--key-dir", keys.KeyDir, "alice@example.org" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        long peak = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var poll = Task.Run(async () =>
        {
            while (!p.HasExited)
            {
                try
                {
                    foreach (var l in await File.ReadAllLinesAsync($"/proc/{p.Id}/status", cts.Token))
                    {
                        if (l.StartsWith("VmHWM:", StringComparison.Ordinal))
                            peak = Math.Max(peak, long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024);
                    }
                }
                catch (IOException)
                {
                    // the process is gone
                }

                await Task.Delay(20, cts.Token);
            }
        }, cts.Token);
        var output = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(output, cts.Token);
        var errTask = p.StandardError.ReadToEndAsync(cts.Token);
        var stdin = p.StandardInput.BaseStream;
        await stdin.WriteAsync(head, cts.Token);
        for (var i = 0; i < lines; i++)
        {
            for (var j = 0; j < 76; j++)
                line[j] = (byte)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[rng.Next(64)];
            line[76] = (byte)'\n';
            await stdin.WriteAsync(line, cts.Token);
            expectedInner.AppendData(line);
        }

        await stdin.WriteAsync("--b--\n"u8.ToArray(), cts.Token);
        expectedInner.AppendData("--b--\n"u8);
        stdin.Close();
        await p.WaitForExitAsync(cts.Token);
        await outTask;
        await poll;
        Assert.True(p.ExitCode == 0, await errTask);
        Console.WriteLine($"50 MB message: peak RSS {peak / (1024 * 1024)} MiB, output {output.Length / (1024 * 1024)} MiB");
        Assert.True(peak > 0, "could not read the tool's peak RSS");
        Assert.True(peak < PeakRssLimit, $"peak RSS {peak / (1024 * 1024)} MiB");

        var text = Encoding.ASCII.GetString(output.GetBuffer(), 0, (int)output.Length);
        var begin = text.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        var end = text.LastIndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal) + 25;
        var plain = await keys.Gpg(["--decrypt"], Encoding.ASCII.GetBytes(text[begin..end] + "\n"));
        Assert.Equal(Convert.ToHexString(expectedInner.GetHashAndReset()), Convert.ToHexString(SHA256.HashData(plain.Stdout)));
    }

    [Fact]
    public async Task The_man_page_lists_options_exit_status_and_security()
    {
        var r = await ToolProcess.RunToolAsync(["--generate-man-page"], []);
        Assert.Equal(0, r.Exit);
        var page = Encoding.UTF8.GetString(r.Stdout);
        Assert.Contains("mailseal\\-encrypt", page, StringComparison.Ordinal);
        Assert.Contains("missing\\-key", page, StringComparison.Ordinal); // roff escapes the hyphen
        Assert.Contains("EXIT STATUS", page, StringComparison.Ordinal);
        Assert.Contains("SECURITY", page, StringComparison.Ordinal);
    }
}
