using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailseal.Pipeline.Smtp;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace Mailseal.Pipeline.Tests.Smtp;

/// <summary>
/// The probe of issue #11: <see cref="Reinjector"/>'s job done on MailKit's <see cref="SmtpClient"/>
/// instead of our SmtpConnection/DotStuffingStream, behind the same channels (a loopback socket,
/// or <c>sendmail -bs</c> over stdio, each with its Abort that queues nothing) and with the same
/// checks outside the dialogue (addresses, A-labels, SMTPUTF8). Everything MailKit offers a hook
/// for is used the way a MailKit user would; where it offers none, the probe says so:
/// <list type="bullet">
/// <item>The message is never a new MimeMessage (that adds Date and Message-Id, and is Strict):
/// a parsed, emptied one whose body's WriteTo streams the caller's bytes through MimeKit's
/// Unix2DosFilter (MailKit adds the dot-stuffing and the ".").</item>
/// <item>SIZE: <see cref="SmtpClient"/> measures the message by writing it once more;
/// GetSize is overridden to -1 (no SIZE= parameter), or the writer would run twice.</item>
/// <item>BODY=8BITMIME: MailKit decides it from the Content-Transfer-Encoding of the parts it
/// walks, so the subclass carries an empty 8bit part that is never written.</item>
/// <item>XFORWARD: MailKit does not expose EHLO keywords it does not know, so the EHLO reply is
/// read off an <see cref="IProtocolLogger"/>; the commands go through the protected SendCommand.</item>
/// <item>DSN: RET via DeliveryStatusNotificationType, ENVID via GetEnvelopeId (MailKit xtext-
/// encodes it, so it is decoded first), NOTIFY via GetDeliveryStatusNotifications. ORCPT has no
/// hook: MailKit writes it only beside NOTIFY and always as the RCPT address itself.</item>
/// </list>
/// Used only by the tests that run the re-injection cases on it (MailKitReinjectorTests,
/// MailKitMessageProcessorTests).
/// </summary>
internal sealed class MailKitReinjector : IReinjector
{
    private readonly ReinjectorOptions _options;

    public MailKitReinjector(ReinjectorOptions options) => _options = options;

    public async Task<ReinjectResult> SendAsync(
        string sender,
        IReadOnlyList<string> recipients,
        Func<Stream, CancellationToken, Task> writeMessage,
        bool eightBit,
        XForward? forward,
        DsnParameters? dsn,
        CancellationToken cancellationToken)
    {
        if (recipients.Count == 0)
            throw new ReinjectionException("no recipients to re-inject to");
        foreach (string a in recipients.Append(sender))
            Reinjector.CheckAddress(a);

        IReinjectionChannel channel = _options.Mode == ReinjectionMode.Smtp
            ? await SocketChannel.ConnectAsync(_options.SmtpEndpoint, _options.ReplyTimeout, cancellationToken)
            : SendmailChannel.Start(_options.SendmailPath, _options.SendmailArguments);
        var ehlo = new EhloCapture();
        using var client = new ProbeClient(ehlo, dsn) { LocalDomain = _options.HeloName, Timeout = (int)_options.ReplyTimeout.TotalMilliseconds };
        client.SetReturn(dsn);
        var (message, body) = Streamed(writeMessage, eightBit);
        using var disposeMessage = message;
        string step = "greeting";
        try
        {
            await client.ConnectAsync(new DuplexStream(channel.Reader, channel.Writer), "localhost", 25, SecureSocketOptions.None, cancellationToken);

            if (forward is { IsEmpty: false })
            {
                step = "XFORWARD";
                foreach (string command in forward.Commands(ehlo.XForwardNames()))
                {
                    var r = await client.CommandAsync(command, cancellationToken);
                    if ((int)r.StatusCode != 250)
                        throw Reinjector.Refused(new SmtpReply((int)r.StatusCode, r.Response.Split('\n')), "XFORWARD");
                }
            }

            string envelopeSender = Reinjector.AsciiDomain(sender);
            var to = recipients.Select(r => Mailbox(Reinjector.AsciiDomain(r))).ToList();
            if ((!Reinjector.IsAscii(envelopeSender) || to.Any(m => m.IsInternational)) && (client.Capabilities & SmtpCapabilities.UTF8) == 0)
                throw new ReinjectionException("an address is not ASCII and the server does not offer SMTPUTF8");

            step = "MAIL FROM";
            string text = await client.SendAsync(FormatOptions.Default, message, Mailbox(envelopeSender), to, cancellationToken);
            var final = new SmtpReply(250, text.Split('\n'));
            try
            {
                await client.DisconnectAsync(quit: true, cancellationToken);
            }
            catch (Exception e) when (e is IOException or SmtpProtocolException)
            {
                // queued; a lost QUIT changes nothing
            }

            return new ReinjectResult(Reinjector.QueueIdFrom(final), final);
        }
        catch (Exception e)
        {
            channel.Abort();
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                throw;
            if (e is ReinjectionException)
                throw;
            if (e is SmtpCommandException c)
            {
                string where = c.ErrorCode switch
                {
                    SmtpErrorCode.RecipientNotAccepted => $"RCPT TO:<{c.Mailbox?.Address}>",
                    SmtpErrorCode.SenderNotAccepted => "MAIL FROM",
                    SmtpErrorCode.MessageNotAccepted => "end of data",
                    _ => step,
                };
                throw Reinjector.Refused(new SmtpReply((int)c.StatusCode, c.Message.Split('\n')), where);
            }

            // MailKit writes the "." right after the content: once the writer has returned, it may be out.
            string when = body.ContentWritten ? "after the final dot (the message may have been queued)" : "before the final dot; nothing was queued";
            throw new ReinjectionException($"re-injection failed {when}: {e.Message}", e);
        }
        finally
        {
            await channel.DisposeAsync();
        }
    }

    private static MailboxAddress Mailbox(string address) => address.Length == 0 ? new MailboxAddress(string.Empty, string.Empty) : MailboxAddress.Parse(address);

    /// <summary>
    /// A MimeMessage that writes nothing of its own around the caller's bytes. MimeMessage.WriteTo
    /// is not virtual and writes a blank line before the body unless the message is Loose (only a
    /// parsed one is) and the body's header list has no separator (HeaderList.HasBodySeparator is
    /// internal; only the parser clears it). So both come from MimeKit's parser: the body is a
    /// Multipart subclass registered with ParserOptions.RegisterMimeType (reflection, which is not
    /// NativeAOT-safe) and parsed from a header without a blank line; its Content-Type is then
    /// removed and its WriteTo streams the caller's bytes (MimeEntity.WriteTo is virtual).
    /// </summary>
    private static (MimeMessage Message, RawBody Body) Streamed(Func<Stream, CancellationToken, Task> write, bool eightBit)
    {
        var options = new ParserOptions();
        options.RegisterMimeType("multipart/x-mailseal-raw", typeof(RawBody));
        var body = (RawBody)MimeEntity.Load(options, new MemoryStream("Content-Type: multipart/x-mailseal-raw; boundary=x\r\n"u8.ToArray()));
        body.Headers.Remove(HeaderId.ContentType);
        body.Write = write;
        // Never written: only there so MailKit's part walk asks for BODY=8BITMIME.
        body.Add(new MimePart("application", "octet-stream") { ContentTransferEncoding = eightBit ? ContentEncoding.EightBit : ContentEncoding.SevenBit });
        var message = MimeMessage.Load(new MemoryStream("X-Probe: 1\r\n\r\n"u8.ToArray()));
        message.Headers.Clear();
        message.Body = body;
        return (message, body);
    }

    /// <summary>The caller's bytes, written once, as they are (CRLF where a line ends in a bare LF, by MimeKit's filter).</summary>
    private sealed class RawBody : Multipart
    {
        public RawBody(MimeEntityConstructorArgs args)
            : base(args)
        {
        }

        public Func<Stream, CancellationToken, Task>? Write { get; set; }

        public bool ContentWritten { get; private set; }

        public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            WriteToAsync(options, stream, contentOnly, cancellationToken).GetAwaiter().GetResult();

        public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
        {
            using var filtered = new FilteredStream(stream);
            filtered.Add(new Unix2DosFilter(ensureNewLine: true));
            await Write!(filtered, cancellationToken);
            await filtered.FlushAsync(cancellationToken);
            ContentWritten = true;
        }
    }

    /// <summary>The EHLO reply as the server sent it (MailKit keeps only the keywords it knows).</summary>
    private sealed class EhloCapture : IProtocolLogger
    {
        private readonly StringBuilder _server = new();
        private bool _done;

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        public HashSet<string> XForwardNames()
        {
            _done = true;
            return _server.ToString().Split('\n')
                .Select(l => l.TrimEnd('\r'))
                .Where(l => l.Length > 4 && l.StartsWith("250", StringComparison.Ordinal))
                .Select(l => l[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(w => w.Length > 1 && w[0].Equals("XFORWARD", StringComparison.OrdinalIgnoreCase))
                .SelectMany(w => w.Skip(1)).Select(n => n.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        }

        public void LogConnect(Uri uri)
        {
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            if (!_done && _server.Length < 16384)
                _server.Append(Encoding.Latin1.GetString(buffer, offset, count));
        }

        public void Dispose()
        {
        }
    }

    private sealed class ProbeClient(EhloCapture ehlo, DsnParameters? dsn) : SmtpClient(ehlo)
    {
        public Task<SmtpResponse> CommandAsync(string command, CancellationToken cancellationToken) => SendCommandAsync(command, cancellationToken);

        protected override long GetSize(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => -1;

        protected override Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => Task.FromResult(-1L);

        protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
        {
            // nothing: the bytes go as the caller wrote them
        }

        protected override string? GetEnvelopeId(MimeMessage message) =>
            dsn?.EnvelopeId is { } id ? XForward.DecodeXtext(id) : null;

        protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
        {
            if (dsn?.For(mailbox.Address)?.Notify is not { } notify)
                return null;
            if (notify == "NEVER")
                return DeliveryStatusNotification.Never;
            var n = default(DeliveryStatusNotification);
            foreach (string w in notify.Split(','))
                n |= w switch { "SUCCESS" => DeliveryStatusNotification.Success, "FAILURE" => DeliveryStatusNotification.Failure, _ => DeliveryStatusNotification.Delay };
            return n;
        }

        public void SetReturn(DsnParameters? parameters) =>
            DeliveryStatusNotificationType = parameters?.Return switch
            {
                "FULL" => DeliveryStatusNotificationType.Full,
                "HDRS" => DeliveryStatusNotificationType.HeadersOnly,
                _ => DeliveryStatusNotificationType.Unspecified,
            };
    }

    /// <summary>The two streams of a channel as one (sendmail's stdout and stdin; a socket's stream twice).</summary>
    private sealed class DuplexStream(Stream reader, Stream writer) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => reader.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reader.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => reader.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writer.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => writer.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => writer.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => writer.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
