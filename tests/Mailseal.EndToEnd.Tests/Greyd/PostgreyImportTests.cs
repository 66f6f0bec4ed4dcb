using System.Diagnostics;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Greyd;

/// <summary>
/// A greylist database written by the real postgrey (Debian package, on loopback) imported with
/// --import-postgrey (read through db-util's db_dump): its passed triplets, its still-waiting
/// triplets and its auto-whitelisted client mean the same to mailseal-greyd afterwards.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class PostgreyImportTests(MailStack stack)
{
    [Fact]
    public async Task A_database_made_by_postgrey_is_imported_and_honoured()
    {
        var dir = Path.Combine(stack.TempDirectory, "postgrey-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var none = Path.Combine(stack.TempDirectory, "greyd-none");
        File.WriteAllText(none, string.Empty);
        await ProcessRunner.RunCheckedAsync("chown", ["postgrey", dir]);

        var port = FreePorts.Take(1)[0];
        var info = new ProcessStartInfo("/usr/sbin/postgrey") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in new[] { $"--inet=127.0.0.1:{port}", $"--dbdir={dir}", "--delay=1", "--auto-whitelist-clients=1", $"--whitelist-clients={none}", $"--whitelist-recipients={none}" })
            info.ArgumentList.Add(a);
        using var postgrey = Process.Start(info)!;
        postgrey.OutputDataReceived += (_, _) => { };
        postgrey.ErrorDataReceived += (_, _) => { };
        postgrey.BeginOutputReadLine();
        postgrey.BeginErrorReadLine();
        var sinceFirstSighting = new System.Diagnostics.Stopwatch();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!FreePorts.IsListening(port))
            {
                Assert.False(postgrey.HasExited, "postgrey exited at start");
                Assert.True(DateTime.UtcNow < deadline, "postgrey did not listen");
                await Task.Delay(100);
            }

            Assert.StartsWith("DEFER_IF_PERMIT", await GreydDaemon.AskAsync(port, "192.0.2.7", "list+42@sender.example", "bob@example.test", "p1"), StringComparison.Ordinal);
            await Task.Delay(TimeSpan.FromSeconds(2.2));
            Assert.StartsWith("PREPEND X-Greylist:", await GreydDaemon.AskAsync(port, "192.0.2.7", "list+43@sender.example", "bob@example.test", "p2"), StringComparison.Ordinal);
            Assert.StartsWith("DEFER_IF_PERMIT", await GreydDaemon.AskAsync(port, "2001:db8::9", "waiting@other.example", "bob@example.test", "p3"), StringComparison.Ordinal);
            sinceFirstSighting.Start();
        }
        finally
        {
            await PidControl.StopAsync(postgrey.Id, "postgrey", 15, TimeSpan.FromSeconds(10));
        }

        var store = "sqlite:" + Path.Combine(dir, "greyd.sqlite");
        var import = await GreydDaemon.RunAsync(stack, "--import-postgrey", dir, "--store", store, "--whitelist-clients=" + none, "--whitelist-recipients=" + none, "--syslog-socket", "/nonexistent/log");
        Assert.True(import.ExitCode == 0, import.Output);
        Assert.Contains("imported 2 triplets and 1 clients", import.Output, StringComparison.Ordinal);

        // postgrey waited 1 s and the retry came 2 s later: with --delay=2 that triplet counts as passed.
        await using var greyd = await GreydDaemon.StartAsync(stack, "--store", store, "--delay=2", "--auto-whitelist-clients=1", "--whitelist-clients=" + none, "--whitelist-recipients=" + none);
        // postgrey auto-whitelisted 192.0.2.7: any sender passes.
        Assert.Equal("DUNNO", await greyd.AskAsync("192.0.2.7", "brand-new@elsewhere.example", "carol@example.test", "g1"));
        // The triplet postgrey let through (same /24, sender normalised the same way) passes.
        Assert.Equal("DUNNO", await greyd.AskAsync("192.0.2.8", "list+99@sender.example", "bob@example.test", "g2"));
        // The IPv6 triplet postgrey had only seen once: its first sighting carries over, so its
        // retry now passes (a triplet new to mailseal-greyd would be deferred). The retry must
        // come after the delay: the native binary imports and starts within it.
        var wait = TimeSpan.FromSeconds(2.2) - sinceFirstSighting.Elapsed;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        Assert.StartsWith("PREPEND X-Greylist: delayed ", await greyd.AskAsync("2001:db8::77", "waiting@other.example", "bob@example.test", "g3"), StringComparison.Ordinal);
        // Something postgrey never saw is new.
        Assert.StartsWith("DEFER_IF_PERMIT", await greyd.AskAsync("203.0.113.5", "x@new.example", "bob@example.test", "g4"), StringComparison.Ordinal);

        await greyd.WaitForLogAsync("client_address=203.0.113.5");
        var log = greyd.Log;
        Assert.Contains("reason=client AWL", log, StringComparison.Ordinal);
        Assert.Contains("action=pass, reason=triplet found, client_name=unknown, client_address=192.0.2.8", log, StringComparison.Ordinal);
        Assert.Contains("action=pass, reason=triplet found, delay=", log, StringComparison.Ordinal);
        Assert.Contains("action=greylist, reason=new, client_name=unknown, client_address=203.0.113.5", log, StringComparison.Ordinal);
    }
}
