using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Dns.Tests;

/// <summary>
/// A real unbound (/usr/sbin/unbound -d) on a random 127.0.0.1 port, serving only local test
/// zones (<c>local-zone: "." static</c>, so nothing ever leaves the machine). Started once per
/// test class, killed by its own pid when the class is done.
/// </summary>
public sealed class UnboundServer : IAsyncLifetime
{
    public const string Program = "/usr/sbin/unbound";

    /// <summary>A TXT record too big for a 512-byte UDP answer: 6 strings of 200 characters.</summary>
    public static readonly string[] BigTxt = Enumerable.Range(0, 6).Select(i => new string((char)('a' + i), 200)).ToArray();

    private readonly StringBuilder _log = new();
    private Process? _process;
    private string? _directory;

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Program))
        {
            throw new InvalidOperationException($"{Program} is not installed: install the Debian package 'unbound' (tools/install-deps.sh does)");
        }

        _directory = Directory.CreateTempSubdirectory("mailseal-unbound-").FullName;
        int port = FreePort();
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        string big = string.Join(' ', BigTxt.Select(s => "\"" + s + "\""));
        string config = $$"""
            server:
              interface: 127.0.0.1
              port: {{port}}
              do-ip6: no
              do-daemonize: no
              access-control: 127.0.0.0/8 allow
              username: ""
              chroot: ""
              directory: "{{_directory}}"
              pidfile: "{{_directory}}/unbound.pid"
              use-syslog: no
              logfile: ""
              module-config: "iterator"
              local-zone: "." static
              local-zone: "mailseal.test." static
              local-data: 'mailseal.test. 300 IN TXT "v=spf1 ip4:198.51.100.1 " "include:inc.mailseal.test -all"'
              local-data: 'mailseal.test. 300 IN MX 10 mail.mailseal.test.'
              local-data: 'inc.mailseal.test. 300 IN TXT "v=spf1 a:mail.mailseal.test mx:mailseal.test ~all"'
              local-data: 'mail.mailseal.test. 300 IN A 127.0.0.1'
              local-data: 'www.mailseal.test. 300 IN CNAME mail.mailseal.test.'
              local-data: 'big.mailseal.test. 300 IN TXT {{big}}'
              local-data-ptr: "127.0.0.1 mail.mailseal.test."
            remote-control:
              control-enable: no
            """;
        string configPath = Path.Combine(_directory, "unbound.conf");
        await File.WriteAllTextAsync(configPath, config);

        var start = new ProcessStartInfo(Program)
        {
            ArgumentList = { "-d", "-c", configPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Program} did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var probe = new StubResolver(new StubResolverOptions
        {
            Servers = [EndPoint],
            Timeout = TimeSpan.FromMilliseconds(200),
            Attempts = 1,
            CacheMaxEntries = 0,
        });
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"unbound exited with {_process.ExitCode}: {Log}");
            }

            DnsAnswer answer = await probe.QueryAsync("mail.mailseal.test", DnsRecordType.A, CancellationToken.None);
            if (answer.Status == DnsStatus.Ok)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"unbound did not answer on {EndPoint} within 15 s: {Log}");
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            _process.Dispose();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        // A port free for both UDP and TCP right now (unbound binds both).
        for (int i = 0; ; i++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (i < 20)
            {
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 64 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }
}
