using System.Buffers;
using System.Globalization;
using System.Text;
using Mailseal.Pipeline.Smtp;
using Serilog;

namespace Mailseal.Pipeline.Server;

/// <summary>
/// One SMTP or LMTP connection: a command loop over one fixed read buffer. Replies are collected
/// and flushed only before the session would wait for input, so a pipelining client (Postfix
/// sends MAIL, RCPT... and DATA in one go) gets them in one write. Every command line is bounded
/// (<see cref="SmtpServerOptions.MaxLineLength"/>), every wait has a timeout, and errors are
/// counted (<see cref="SmtpServerOptions.MaxErrors"/>).
/// </summary>
internal sealed class SmtpSession
{
    private readonly Stream _stream;
    private readonly SmtpServerOptions _options;
    private readonly ISmtpMessageHandler _handler;
    private readonly ILogger _log;
    private readonly string _peer;
    private readonly byte[] _buffer;
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly XForward _forward = new();
    private readonly DsnParameters _dsn = new();
    private readonly List<string> _recipients = [];
    private int _start;
    private int _end;
    private string? _helo;
    private string? _sender;
    private int _errors;

    public SmtpSession(Stream stream, SmtpServerOptions options, ISmtpMessageHandler handler, ILogger log, string peer)
    {
        _stream = stream;
        _options = options;
        _handler = handler;
        _log = log;
        _peer = peer;
        _buffer = new byte[options.BufferSize];
    }

    public SmtpServerOptions Options => _options;

    public bool HasBufferedInput => _start < _end;

    public ReadOnlySpan<byte> BufferedInput => _buffer.AsSpan(_start, _end - _start);

    /// <summary>Messages answered 2xx in this session.</summary>
    public int Accepted { get; private set; }

    private bool IsLmtp => _options.Protocol == SmtpServerProtocol.Lmtp;

    public void Consume(int count) => _start += count;

    /// <summary>Flushes pending replies, then reads more input; false at end of stream.</summary>
    public async Task<bool> FillAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        int n;
        try
        {
            n = await _stream.ReadAsync(_buffer.AsMemory(_end), cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no input within {timeout.TotalSeconds:0.#} s");
        }

        _end += n;
        return n > 0;
    }

    /// <summary>Runs the dialogue until QUIT, end of stream, a fatal error or a stop.</summary>
    /// <param name="stopping">A graceful stop: the session ends at its next command wait with 421.</param>
    /// <param name="killed">A hard stop: everything is abandoned (nothing in flight is accepted).</param>
    public async Task RunAsync(CancellationToken stopping, CancellationToken killed)
    {
        try
        {
            Reply(220, $"{_options.ServerName} {(IsLmtp ? "LMTP" : "ESMTP")} mailseal-filterd");
            while (true)
            {
                if (stopping.IsCancellationRequested)
                {
                    Reply(421, "4.3.2 Service shutting down, closing transmission channel");
                    break;
                }

                var (line, tooLong) = await ReadLineAsync(stopping, killed).ConfigureAwait(false);
                if (line is null)
                {
                    if (stopping.IsCancellationRequested && !killed.IsCancellationRequested)
                        Reply(421, "4.3.2 Service shutting down, closing transmission channel");
                    break;
                }

                if (tooLong)
                {
                    Reply(500, "5.5.2 Error: line too long");
                    if (!CountError())
                        break;
                    continue;
                }

                if (!await CommandAsync(line, killed).ConfigureAwait(false))
                    break;
            }

            await FlushAsync(killed).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            _log.Information("{Peer}: timeout: {Reason}", _peer, e.Message);
            Reply(421, "4.4.2 " + _options.ServerName + " Error: timeout exceeded");
            await TryFlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            _log.Debug("{Peer}: connection ended: {Reason}", _peer, e.Message);
        }
    }

    private bool CountError()
    {
        if (++_errors < _options.MaxErrors)
            return true;
        Reply(421, "4.7.0 " + _options.ServerName + " Error: too many errors");
        return false;
    }

    private async Task<(string? Line, bool TooLong)> ReadLineAsync(CancellationToken stopping, CancellationToken killed)
    {
        bool tooLong = false;
        int scanned = 0;
        while (true)
        {
            int nl = BufferedInput[scanned..].IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int length = scanned + nl;
                var span = BufferedInput[..length];
                if (span.Length > 0 && span[^1] == (byte)'\r')
                    span = span[..^1];
                string? line = tooLong || span.Length > _options.MaxLineLength ? null : Encoding.UTF8.GetString(span);
                _start += length + 1;
                return line is null ? (string.Empty, true) : (line, false);
            }

            scanned = _end - _start;
            if (scanned > _options.MaxLineLength)
            {
                // Discard what is buffered of the over-long line and keep looking for its end.
                tooLong = true;
                _start = _end;
                scanned = 0;
            }

            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stopping, killed);
            bool more;
            try
            {
                more = await FillAsync(_options.CommandTimeout, waiting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !killed.IsCancellationRequested)
            {
                return (null, false);
            }

            if (!more)
                return (null, false);
        }
    }

    private async Task<bool> CommandAsync(string line, CancellationToken killed)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        string args = space < 0 ? string.Empty : line[(space + 1)..].Trim();
        switch (verb)
        {
            case "EHLO" when !IsLmtp:
            case "LHLO" when IsLmtp:
                if (args.Length == 0)
                    return Error(501, "5.5.4 Syntax: " + verb + " hostname");
                _helo = args;
                ResetTransaction();
                Reply(250, _options.ServerName,
                    "PIPELINING",
                    "SIZE " + _options.MaxMessageSize.ToString(CultureInfo.InvariantCulture),
                    "ENHANCEDSTATUSCODES",
                    "8BITMIME",
                    "SMTPUTF8",
                    "DSN",
                    "XFORWARD " + string.Join(' ', XForward.Names));
                return true;
            case "HELO" when !IsLmtp:
                if (args.Length == 0)
                    return Error(501, "5.5.4 Syntax: HELO hostname");
                _helo = args;
                ResetTransaction();
                Reply(250, _options.ServerName);
                return true;
            case "XFORWARD":
                if (_helo is null)
                    return Error(503, "5.5.1 Error: send " + (IsLmtp ? "LHLO" : "HELO/EHLO") + " first");
                if (_sender is not null)
                    return Error(503, "5.5.1 Error: MAIL transaction in progress");
                if (!_forward.TryAdd(args, out string? why))
                    return Error(501, "5.5.4 Bad XFORWARD command syntax: " + why);
                Reply(250, "2.0.0 Ok");
                return true;
            case "MAIL":
                return Mail(args);
            case "RCPT":
                return Rcpt(args);
            case "DATA":
                if (_sender is null)
                    return Error(503, "5.5.1 Error: need MAIL command");
                if (_recipients.Count == 0)
                    return Error(503, "5.5.1 Error: need RCPT command");
                if (args.Length > 0)
                    return Error(501, "5.5.4 Syntax: DATA");
                return await DataAsync(killed).ConfigureAwait(false);
            case "RSET":
                ResetTransaction();
                Reply(250, "2.0.0 Ok");
                return true;
            case "NOOP":
                Reply(250, "2.0.0 Ok");
                return true;
            case "VRFY":
                Reply(252, "2.0.0 Cannot VRFY user");
                return true;
            case "QUIT":
                Reply(221, "2.0.0 Bye");
                return false;
            case "HELO" or "EHLO" or "LHLO" or "BDAT" or "STARTTLS" or "AUTH" or "ETRN" or "XCLIENT" or "TURN" or "EXPN" or "HELP":
                return Error(502, "5.5.1 Error: command not implemented");
            default:
                return Error(500, "5.5.2 Error: command not recognized");
        }
    }

    private bool Mail(string args)
    {
        if (_helo is null)
            return Error(503, "5.5.1 Error: send " + (IsLmtp ? "LHLO" : "HELO/EHLO") + " first");
        if (_sender is not null)
            return Error(503, "5.5.1 Error: nested MAIL command");
        _dsn.Clear(); // a refused MAIL leaves nothing behind
        if (!TryPath(args, "FROM:", out string? address, out string? parameters))
            return Error(501, "5.5.4 Syntax: MAIL FROM:<address>");
        foreach (string p in parameters!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = p.IndexOf('=', StringComparison.Ordinal);
            string name = (eq < 0 ? p : p[..eq]).ToUpperInvariant();
            string value = eq < 0 ? string.Empty : p[(eq + 1)..];
            switch (name)
            {
                case "SIZE":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long size))
                        return Error(501, "5.5.4 Bad message size syntax");
                    if (size > _options.MaxMessageSize)
                        return Error(552, "5.3.4 Message size exceeds fixed limit");
                    break;
                case "BODY" when value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase):
                case "SMTPUTF8" when eq < 0:
                    break;
                default:
                    if (_dsn.TryTakeMailParameter(name, value, out string? bad))
                    {
                        if (bad is not null)
                            return Error(501, "5.5.4 " + bad);
                        break;
                    }

                    return Error(555, "5.5.4 Unsupported option: " + Clip(p));
            }
        }

        if (!IsSafeAddress(address!))
            return Error(501, "5.1.7 Bad sender address syntax");
        _sender = address;
        Reply(250, "2.1.0 Ok");
        return true;
    }

    private bool Rcpt(string args)
    {
        if (_sender is null)
            return Error(503, "5.5.1 Error: need MAIL command");
        if (!TryPath(args, "TO:", out string? address, out string? parameters))
            return Error(501, "5.5.4 Syntax: RCPT TO:<address>");
        if (!DsnParameters.TryParseRecipient(parameters!, out RecipientDsn? dsn, out string? bad))
            return Error(bad!.StartsWith("Unsupported", StringComparison.Ordinal) ? 555 : 501, "5.5.4 " + Clip(bad));
        if (address!.Length == 0 || !IsSafeAddress(address))
            return Error(501, "5.1.3 Bad recipient address syntax");
        if (_recipients.Count >= _options.MaxRecipients)
        {
            Reply(452, "4.5.3 Error: too many recipients");
            return true;
        }

        _recipients.Add(address);
        if (dsn is not null)
            _dsn.Add(address, dsn);
        Reply(250, "2.1.5 Ok");
        return true;
    }

    private async Task<bool> DataAsync(CancellationToken killed)
    {
        Reply(354, "End data with <CR><LF>.<CR><LF>");
        await FlushAsync(killed).ConfigureAwait(false);
        var envelope = new SmtpEnvelope(_sender!, _recipients.ToArray(), _helo!, _peer, _forward.Snapshot()) { Dsn = _dsn.Snapshot() };
        using var data = new SmtpDataStream(this, _options.MaxMessageSize);
        SmtpReply reply;
        try
        {
            reply = await _handler.HandleAsync(envelope, data, killed).ConfigureAwait(false);
        }
        catch (Exception) when (data.Broken || killed.IsCancellationRequested)
        {
            // The client is gone or the server is killed: no reply, nothing was accepted.
            return false;
        }
#pragma warning disable CA1031 // a handler failure is answered 4xx: the client keeps the message
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (!data.TooLarge)
                _log.Error("{Peer}: message handler failed: {Type}: {Reason}", _peer, e.GetType().Name, e.Message);
            reply = new SmtpReply(451, ["4.3.0 Error: internal error"]);
        }

        if (!data.Ended)
        {
            try
            {
                await data.DrainAsync(killed).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                _log.Information("{Peer}: connection lost in DATA: {Reason}", _peer, e.Message);
                return false;
            }
        }

        if (data.TooLarge)
            reply = new SmtpReply(552, ["5.3.4 Message size exceeds fixed limit"]);
        if (reply.IsPositive)
            Accepted++;
        int count = IsLmtp ? envelope.Recipients.Count : 1;
        for (int i = 0; i < count; i++)
            Reply(reply.Code, [.. reply.Lines]);
        ResetTransaction();
        return true;
    }

    private void ResetTransaction()
    {
        _sender = null;
        _recipients.Clear();
        _forward.Clear();
        _dsn.Clear();
    }

    private bool Error(int code, string text)
    {
        Reply(code, text);
        return CountError();
    }

    /// <summary>Parses "FROM:&lt;addr&gt; params" (a space after the colon is tolerated, as Postfix does).</summary>
    internal static bool TryPath(string args, string keyword, out string? address, out string? parameters)
    {
        address = null;
        parameters = null;
        if (!args.StartsWith(keyword, StringComparison.OrdinalIgnoreCase))
            return false;
        string rest = args[keyword.Length..].TrimStart();
        if (rest.Length == 0 || rest[0] != '<')
            return false;
        bool quoted = false;
        for (int i = 1; i < rest.Length; i++)
        {
            char c = rest[i];
            if (c == '\\' && quoted)
            {
                i++;
                continue;
            }

            if (c == '"')
                quoted = !quoted;
            else if (c == '>' && !quoted)
            {
                address = rest[1..i];
                parameters = rest[(i + 1)..].Trim();
                if (address.StartsWith('@') && address.IndexOf(':', StringComparison.Ordinal) is int colon and > 0)
                    address = address[(colon + 1)..]; // an RFC 5321 source route: ignored, as Postfix does
                return true;
            }
        }

        return false;
    }

    private static bool IsSafeAddress(string address) =>
        address.Length <= 512 && !address.Any(c => c < 0x20 || c == 0x7F || c == '<' || c == '>');

    private static string Clip(string s) => s.Length > 60 ? s[..60] + "..." : s;

    private void Reply(int code, params string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
        {
            string text = string.Create(CultureInfo.InvariantCulture, $"{code}{(i == lines.Length - 1 ? ' ' : '-')}{lines[i]}\r\n");
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            int n = Encoding.UTF8.GetBytes(text, _output.GetSpan(max));
            _output.Advance(n);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_output.WrittenCount == 0)
            return;
        await _stream.WriteAsync(_output.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        _output.ResetWrittenCount();
    }

    private async Task TryFlushAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await FlushAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // the peer is gone
        }
    }
}
