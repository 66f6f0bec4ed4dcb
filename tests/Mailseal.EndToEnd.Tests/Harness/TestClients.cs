using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DnsClient;
using DnsClient.Protocol;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// The harness's independent clients: MailKit's <see cref="SmtpClient"/> and
/// <see cref="ImapClient"/> talk to Postfix and Dovecot, DnsClient's <see cref="LookupClient"/>
/// asks unbound. They share no code with Mailseal's own SMTP client and resolver, so what they
/// see checks the product instead of agreeing with it. (Mailseal's production resolver stays its
/// own: src/Mailseal.Dns/StubResolver.cs says why DnsClient is not used there.)
/// </summary>
public static partial class TestClients
{
    /// <summary>How long one command or reply may take.</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connects MailKit's SMTP client to 127.0.0.1:<paramref name="port"/> without TLS and says
    /// EHLO <paramref name="heloName"/>. The SIZE and CHUNKING extensions are switched off on the
    /// client side, so a message over the server's limit is sent and refused by Postfix itself
    /// (552 at the end of DATA), not stopped by MailKit's own size check, and every message goes
    /// with DATA. Pass <paramref name="smtpUtf8"/> false to make the client act as one without
    /// SMTPUTF8 (it then sends international domains as A-labels).
    /// </summary>
    public static async Task<SmtpClient> ConnectSmtpAsync(int port, string heloName = "client.example.org", bool smtpUtf8 = true, IProtocolLogger? logger = null, CancellationToken ct = default)
    {
        var smtp = logger is null ? new SmtpClient() : new SmtpClient(logger);
        try
        {
            smtp.Timeout = (int)Timeout.TotalMilliseconds;
            smtp.LocalDomain = heloName;
            smtp.CheckCertificateRevocation = false;
            await smtp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None, ct).ConfigureAwait(false);
            var off = SmtpCapabilities.Size | SmtpCapabilities.Chunking | (smtpUtf8 ? SmtpCapabilities.None : SmtpCapabilities.UTF8);
            smtp.Capabilities &= ~off;
            return smtp;
        }
        catch
        {
            smtp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> (RFC 5322 text with CRLF line ends) as it is: MimeKit
    /// loads it, and a loaded message is written back byte for byte (no Date or Message-Id is
    /// added). Returns the server's final reply text (for Postfix, "2.0.0 Ok: queued as ID").
    /// A refused command throws MailKit's <see cref="SmtpCommandException"/>.
    /// </summary>
    public static async Task<string> SendRawAsync(SmtpClient smtp, string from, IEnumerable<string> to, string message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(smtp);
        ArgumentNullException.ThrowIfNull(message);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(message));
        using var mime = await MimeMessage.LoadAsync(stream, ct).ConfigureAwait(false);
        var recipients = to.Select(r => new MailboxAddress(string.Empty, r)).ToList();
        return await smtp.SendAsync(mime, new MailboxAddress(string.Empty, from), recipients, ct).ConfigureAwait(false);
    }

    /// <summary>The queue id in Postfix's "queued as ID" reply, or null.</summary>
    public static string? QueueIdOf(string reply)
    {
        var m = QueuedAs().Match(reply ?? string.Empty);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Logs in to Dovecot over IMAP (127.0.0.1:<paramref name="port"/>, no TLS) with MailKit.</summary>
    public static async Task<ImapClient> ConnectImapAsync(int port, string user, string password, IProtocolLogger? logger = null, CancellationToken ct = default)
    {
        var imap = new ImapClient(logger ?? new NullProtocolLogger()) { Timeout = (int)Timeout.TotalMilliseconds, CheckCertificateRevocation = false };
        try
        {
            await imap.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None, ct).ConfigureAwait(false);
            await imap.AuthenticateAsync(user, password, ct).ConfigureAwait(false);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }

    /// <summary>Every message in INBOX, raw (BODY.PEEK[]: the stored bytes, unparsed).</summary>
    public static async Task<IReadOnlyList<byte[]>> FetchAllRawAsync(ImapClient imap, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(imap);
        var inbox = imap.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly, ct).ConfigureAwait(false);
        var all = new List<byte[]>(inbox.Count);
        for (var i = 0; i < inbox.Count; i++)
        {
            using var raw = await inbox.GetStreamAsync(i, string.Empty, ct).ConfigureAwait(false);
            using var copy = new MemoryStream();
            await raw.CopyToAsync(copy, ct).ConfigureAwait(false);
            all.Add(copy.ToArray());
        }

        await inbox.CloseAsync(false, ct).ConfigureAwait(false);
        return all;
    }

    /// <summary>
    /// Asks 127.0.0.1:<paramref name="port"/> (unbound) for <paramref name="name"/> with DnsClient, no cache.
    /// </summary>
    /// <returns>The response code (0 NOERROR, 3 NXDOMAIN) and the answers of that type as text:
    /// an address, "PREF HOST." for MX, the joined strings for TXT, the host for PTR.</returns>
    public static async Task<(int Rcode, IReadOnlyList<string> Answers)> QueryDnsAsync(int port, string name, QueryType type, CancellationToken ct = default)
    {
        var lookup = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, port))
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(1),
            Retries = 3,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
        });
        var response = await lookup.QueryAsync(name, type, QueryClass.IN, ct).ConfigureAwait(false);
        var answers = new List<string>();
        foreach (var record in response.Answers)
        {
            switch (record)
            {
                case ARecord a when type == QueryType.A:
                    answers.Add(a.Address.ToString());
                    break;
                case AaaaRecord aaaa when type == QueryType.AAAA:
                    answers.Add(aaaa.Address.ToString());
                    break;
                case MxRecord mx when type == QueryType.MX:
                    answers.Add($"{mx.Preference} {mx.Exchange.Value}");
                    break;
                case TxtRecord txt when type == QueryType.TXT:
                    answers.Add(string.Concat(txt.Text));
                    break;
                case PtrRecord ptr when type == QueryType.PTR:
                    answers.Add(ptr.PtrDomainName.Value);
                    break;
                default:
                    break;
            }
        }

        return ((int)response.Header.ResponseCode, answers);
    }

    [GeneratedRegex(@"queued as ([0-9A-Za-z]+)")]
    private static partial Regex QueuedAs();
}
