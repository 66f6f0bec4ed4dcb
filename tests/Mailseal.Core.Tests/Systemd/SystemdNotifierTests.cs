using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Mailseal.Core.Systemd;

namespace Mailseal.Core.Tests.Systemd;

public sealed class SystemdNotifierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-notify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Ready_sends_one_datagram_with_READY_and_the_main_pid_to_a_path_socket()
    {
        var path = Path.Combine(_dir, "notify");
        using var receiver = Bind(new UnixDomainSocketEndPoint(path));

        Assert.True(new SystemdNotifier(path).Ready());

        var lines = Receive(receiver).Split('\n');
        Assert.Equal(["READY=1", "MAINPID=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)], lines);
    }

    [Fact]
    public void Stopping_reaches_a_socket_in_the_abstract_namespace_named_with_an_at_sign()
    {
        var name = "mailseal-test-" + Guid.NewGuid().ToString("N");
        using var receiver = Bind(new UnixDomainSocketEndPoint("\0" + name));

        Assert.True(new SystemdNotifier("@" + name).Stopping());

        Assert.Equal("STOPPING=1", Receive(receiver));
    }

    [Fact]
    public void Without_NOTIFY_SOCKET_it_is_disabled_and_sends_nothing()
    {
        var notifier = new SystemdNotifier(null);
        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Ready());
        Assert.False(new SystemdNotifier(string.Empty).Stopping());
    }

    [Theory]
    [InlineData("relative/notify")]
    [InlineData("vsock:2:1234")]
    [InlineData("@")]
    public void An_address_that_is_not_a_unix_path_or_abstract_name_is_ignored(string address)
    {
        Assert.False(new SystemdNotifier(address).IsEnabled);
    }

    [Fact]
    public void A_path_longer_than_sun_path_is_ignored_rather_than_truncated()
    {
        Assert.False(new SystemdNotifier("/" + new string('a', 107)).IsEnabled);
    }

    [Fact]
    public void A_socket_nobody_listens_on_is_a_false_result_not_an_exception()
    {
        var notifier = new SystemdNotifier(Path.Combine(_dir, "missing"));
        Assert.True(notifier.IsEnabled);
        Assert.False(notifier.Ready());

        // A regular file where the socket should be: connection refused, still no exception.
        var file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "x");
        Assert.False(new SystemdNotifier(file).Stopping());
    }

    [Fact]
    public void FromEnvironment_reads_NOTIFY_SOCKET()
    {
        var path = Path.Combine(_dir, "env");
        using var receiver = Bind(new UnixDomainSocketEndPoint(path));
        var before = Environment.GetEnvironmentVariable(SystemdNotifier.SocketVariable);
        Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, path);
        try
        {
            Assert.True(SystemdNotifier.FromEnvironment().Notify("STATUS=testing"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, before);
        }

        Assert.Equal("STATUS=testing", Receive(receiver));
    }

    private static Socket Bind(UnixDomainSocketEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(endPoint);
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
