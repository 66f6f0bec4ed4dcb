using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// A private Postfix master whose only services are spawn(8) policy services, as master.cf runs
/// policyd-spf and mailseal-spfd (postfix/mailseal-spfd.postconf): a connection to
/// private/NAME makes spawn(8) start the command with the connection as its stdin and stdout.
/// The master runs in the testbed's mount namespace (<see cref="SpfdTestbed.InNamespace"/>), so
/// every command it spawns, policyd-spf included, finds the test unbound in /etc/resolv.conf.
/// The commands run as <c>nobody</c>. Needs root and Postfix; disposing stops the master.
/// </summary>
internal sealed class PostfixSpawn : IAsyncDisposable
{
    private const string SpawnUser = "nobody";
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private readonly string _root;
    private readonly string _etc;
    private bool _started;

    private PostfixSpawn(string root)
    {
        _root = root;
        _etc = Path.Combine(root, "etc");
    }

    /// <summary>
    /// Starts a master with one spawn(8) service per entry of <paramref name="services"/>
    /// (service name, then the command and its arguments; no argument may contain white space)
    /// under <paramref name="testbed"/>'s folder, and waits until every service listens.
    /// </summary>
    public static async Task<PostfixSpawn> StartAsync(SpfdTestbed testbed, IReadOnlyDictionary<string, IReadOnlyList<string>> services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        ArgumentNullException.ThrowIfNull(services);
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
            throw new InvalidOperationException("spfd-spawn runs Postfix's master and spawn(8): run it as root");
        ProgramLocator.Require("postfix");

        // The spawned commands run as nobody: they read the testbed's configuration files.
        File.SetUnixFileMode(testbed.Folder, (UnixFileMode)0b111_101_101);
        var postfix = new PostfixSpawn(Path.Combine(testbed.Folder, "postfix"));
        try
        {
            await postfix.ConfigureAsync(services, cancellationToken).ConfigureAwait(false);
            int status = await ProcessRunner.RunDetachedAsync("/usr/bin/unshare",
                ["-m", "--propagation", "private", "/bin/sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec postfix -c \"$1\" start", testbed.ResolvConf, postfix._etc],
                Path.Combine(postfix._root, "log", "start.log"), Step, cancellationToken).ConfigureAwait(false);
            postfix._started = true;
            if (status != 0)
                throw new InvalidOperationException($"postfix start exited {status}: {await File.ReadAllTextAsync(Path.Combine(postfix._root, "log", "start.log"), cancellationToken).ConfigureAwait(false)}");

            var deadline = DateTime.UtcNow + Step;
            while (!services.Keys.All(s => File.Exists(postfix.SocketPath(s))))
            {
                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"Postfix's spawn services did not appear within {Step.TotalSeconds} s (see {postfix._root}/log)");
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            return postfix;
        }
        catch
        {
            await postfix.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Connects to <paramref name="service"/> as smtpd's check_policy_service does
    /// (<see cref="PolicyConnection"/>), writes <paramref name="request"/> and returns the
    /// milliseconds from the connect until the blank line that ends the first answer, and its
    /// action text (<paramref name="toEnd"/>: until the command closes the connection, for one
    /// that answers no request); then says it is done and reads until the spawned command has
    /// closed its end too (not timed), so that no command outlives its run into the next one.
    /// </summary>
    public (double Milliseconds, string Answer) FirstAnswer(string service, string request, bool toEnd = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        using var connection = PolicyConnection.Open(new UnixDomainSocketEndPoint(SocketPath(service)), TimeSpan.FromSeconds(30));
        if (toEnd)
        {
            var output = connection.FinishAndReadToEnd();
            return output.Length > 0
                ? (clock.Elapsed.TotalMilliseconds, output.Trim())
                : throw new InvalidOperationException($"{service} closed the connection without output (see {_root}/log/postfix.log)");
        }

        var answer = connection.Ask(request);
        double ms = clock.Elapsed.TotalMilliseconds;
        connection.FinishAndReadToEnd();
        return (ms, answer);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            _started = false;
            await ProcessRunner.RunAsync(new ProcessRequest("postfix", ["-c", _etc, "abort"]) { Timeout = Step }, CancellationToken.None).ConfigureAwait(false);

            // The caller deletes the folder next: wait until the master has gone ("postfix
            // status" fails once nothing holds the master's lock).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline
                && (await ProcessRunner.RunAsync(new ProcessRequest("postfix", ["-c", _etc, "status"]) { Timeout = Step }, CancellationToken.None).ConfigureAwait(false)).Succeeded)
                await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private string SocketPath(string service) => Path.Combine(_root, "spool", "private", service);

    private async Task ConfigureAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> services, CancellationToken ct)
    {
        foreach (var folder in new[] { _root, _etc, Path.Combine(_root, "log"), Path.Combine(_root, "spool") })
            Directory.CreateDirectory(folder);
        var data = Path.Combine(_root, "data");
        (await ProcessRunner.RunAsync(new ProcessRequest("install", ["-d", "-m", "750", "-o", "postfix", "-g", "postfix", data]) { Timeout = Step }, ct).ConfigureAwait(false)).EnsureSuccess();
        await File.WriteAllTextAsync(Path.Combine(_etc, "main.cf"), $"""
            # spfd-spawn benchmark: a master for spawn(8) policy services only
            compatibility_level = 3.6
            queue_directory = {_root}/spool
            data_directory = {data}
            maillog_file = {_root}/log/postfix.log
            maillog_file_prefixes = /var, /dev/stdout, {_root}/log
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = spawn.localhost
            mydestination =
            alias_maps =
            alias_database =

            """, ct).ConfigureAwait(false);
        var lines = new StringBuilder("postlog unix-dgram n - n - 1 postlogd\n");
        foreach (var (name, command) in services)
        {
            if (command.Any(a => a.Length == 0 || a.Any(char.IsWhiteSpace)))
                throw new ArgumentException($"{name}: an argument is empty or has white space, which master.cf cannot carry", nameof(services));
            lines.Append(name).Append(" unix - n n - 0 spawn\n  user=").Append(SpawnUser).Append(" argv=").AppendJoin(' ', command).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(_etc, "master.cf"), lines.ToString(), ct).ConfigureAwait(false);
    }
}
