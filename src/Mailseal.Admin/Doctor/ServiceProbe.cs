using System.Net.Sockets;
using System.Text;

namespace Mailseal.Admin.Doctor;

/// <summary>
/// Asks a daemon the way Postfix would, briefly: an SMTP filter must greet with 220; a policy
/// service must answer a request with an <c>action=</c> line (SMTPD_POLICY_README). Every wait is
/// bounded; the answer read is at most a few KiB.
/// </summary>
internal static class ServiceProbe
{
    private const int MaxReply = 4096;

    // A request as smtpd sends it at RCPT time, for a sender and recipient that name no real
    // mailbox. A greylisting daemon records one triplet for it; nothing else changes.
    private const string PolicyRequest =
        "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=SMTP\nclient_address=127.0.0.1\nclient_name=localhost\n" +
        "reverse_client_name=localhost\nhelo_name=localhost\nsender=mailseal-doctor@localhost\nrecipient=postmaster@localhost\n" +
        "recipient_count=0\ninstance=mailseal.doctor\nsize=0\n\n";

    /// <summary>Null when the service answered as it should; else what went wrong.</summary>
    public static async Task<string?> SmtpGreetingAsync(string target, TimeSpan timeout, CancellationToken ct)
    {
        string? reply = await ExchangeAsync(target, null, "\n", timeout, ct).ConfigureAwait(false);
        if (reply is null || reply.StartsWith("!", StringComparison.Ordinal))
            return reply?[1..] ?? "no greeting";
        return reply.StartsWith("220", StringComparison.Ordinal) ? null : "greeted with: " + Shorten(reply);
    }

    /// <summary>Null when the policy service answered with an action; else what went wrong.</summary>
    public static async Task<string?> PolicyAnswerAsync(string target, TimeSpan timeout, CancellationToken ct)
    {
        string? reply = await ExchangeAsync(target, PolicyRequest, "\n\n", timeout, ct).ConfigureAwait(false);
        if (reply is null || reply.StartsWith("!", StringComparison.Ordinal))
            return reply?[1..] ?? "no answer";
        return reply.StartsWith("action=", StringComparison.Ordinal) ? null : "answered: " + Shorten(reply);
    }

    /// <summary>The reply up to <paramref name="end"/>, or "!reason" when the connection or the wait failed.</summary>
    private static async Task<string?> ExchangeAsync(string target, string? send, string end, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using Socket socket = await ConnectAsync(target, cts.Token).ConfigureAwait(false);
            if (send is not null)
                await socket.SendAsync(Encoding.ASCII.GetBytes(send), SocketFlags.None, cts.Token).ConfigureAwait(false);
            var buffer = new byte[MaxReply];
            int length = 0;
            while (length < buffer.Length)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n == 0)
                    break;
                length += n;
                string text = Encoding.ASCII.GetString(buffer, 0, length);
                if (text.Contains(end, StringComparison.Ordinal))
                    break;
            }

            if (send is null)
                await socket.SendAsync("QUIT\r\n"u8.ToArray(), SocketFlags.None, cts.Token).ConfigureAwait(false);
            return length == 0 ? "!closed the connection without a reply" : Encoding.ASCII.GetString(buffer, 0, length);
        }
        catch (SocketException e)
        {
            return "!" + e.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"!no reply within {timeout.TotalSeconds:0} s";
        }
    }

    private static async Task<Socket> ConnectAsync(string target, CancellationToken ct)
    {
        if (target.StartsWith("unix:", StringComparison.Ordinal))
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(target[5..]), ct).ConfigureAwait(false);
                return unix;
            }
            catch
            {
                unix.Dispose();
                throw;
            }
        }

        string hostPort = target.StartsWith("inet:", StringComparison.Ordinal) ? target[5..] : target;
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port))
            throw new SocketException((int)SocketError.AddressNotAvailable);
        string host = hostPort[..colon].Trim('[', ']');
        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await tcp.ConnectAsync(host, port, ct).ConfigureAwait(false);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private static string Shorten(string reply)
    {
        string line = reply.Split('\n')[0].TrimEnd('\r');
        return line.Length > 120 ? line[..120] + "..." : line;
    }
}
