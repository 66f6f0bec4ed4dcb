using System.Text.RegularExpressions;

namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// Hands a finished message back to Postfix, atomically: an SMTP dialogue (over a loopback
/// smtpd or <c>sendmail -bs</c>) whose final "." is sent only after the caller has written the
/// whole message. Any failure before that, the caller's included, cuts the dialogue off so
/// nothing is queued, and surfaces as a <see cref="ReinjectionException"/> (the filter then
/// exits 75 and Postfix keeps the original). Plain <c>sendmail -i</c> reading stdin is never
/// used: its EOF queues whatever arrived, a truncated message if the filter died.
/// </summary>
public sealed partial class Reinjector : IReinjector
{
    private readonly ReinjectorOptions _options;

    /// <summary>Creates a re-injector.</summary>
    public Reinjector(ReinjectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (options.Mode == ReinjectionMode.Smtp)
            _ = SocketChannel.ParseEndpoint(options.SmtpEndpoint);
    }

    /// <summary>
    /// Sends one message. <paramref name="writeMessage"/> writes the message (header and body, LF
    /// or CRLF line ends) into the stream it is given; dot-stuffing and line ends are done here.
    /// </summary>
    /// <param name="sender">Envelope sender; empty for the null sender (bounces).</param>
    /// <param name="recipients">Envelope recipients; every one must be accepted or nothing is sent.</param>
    /// <param name="writeMessage">Writes the complete message; if it throws, nothing is queued.</param>
    /// <param name="eightBit">The message holds 8-bit bytes (sent as BODY=8BITMIME when offered).</param>
    /// <param name="cancellationToken">Cancels the dialogue (nothing is queued).</param>
    /// <exception cref="ReinjectionException">Nothing was queued.</exception>
    public Task<ReinjectResult> SendAsync(
        string sender,
        IReadOnlyList<string> recipients,
        Func<Stream, CancellationToken, Task> writeMessage,
        bool eightBit,
        CancellationToken cancellationToken) =>
        SendAsync(sender, recipients, writeMessage, eightBit, null, cancellationToken);

    /// <summary>
    /// Sends one message, first telling the server who the original client was with XFORWARD
    /// (only the attributes the server announces; a server that announces none is not an
    /// authorized XFORWARD client's peer, and gets none).
    /// </summary>
    /// <param name="sender">Envelope sender; empty for the null sender (bounces).</param>
    /// <param name="recipients">Envelope recipients; every one must be accepted or nothing is sent.</param>
    /// <param name="writeMessage">Writes the complete message; if it throws, nothing is queued.</param>
    /// <param name="eightBit">The message holds 8-bit bytes (sent as BODY=8BITMIME when offered).</param>
    /// <param name="forward">The original client's attributes, or null.</param>
    /// <param name="cancellationToken">Cancels the dialogue (nothing is queued).</param>
    /// <exception cref="ReinjectionException">Nothing was queued.</exception>
    public Task<ReinjectResult> SendAsync(
        string sender,
        IReadOnlyList<string> recipients,
        Func<Stream, CancellationToken, Task> writeMessage,
        bool eightBit,
        XForward? forward,
        CancellationToken cancellationToken) =>
        SendAsync(sender, recipients, writeMessage, eightBit, forward, null, cancellationToken);

    /// <summary>
    /// Sends one message with the original client's XFORWARD attributes and the transaction's
    /// DSN parameters (RET and ENVID on MAIL, NOTIFY and ORCPT on each RCPT), the latter only to
    /// a server that announces DSN (the re-injection smtpd does).
    /// </summary>
    /// <param name="sender">Envelope sender; empty for the null sender (bounces).</param>
    /// <param name="recipients">Envelope recipients; every one must be accepted or nothing is sent.</param>
    /// <param name="writeMessage">Writes the complete message; if it throws, nothing is queued.</param>
    /// <param name="eightBit">The message holds 8-bit bytes (sent as BODY=8BITMIME when offered).</param>
    /// <param name="forward">The original client's attributes, or null.</param>
    /// <param name="dsn">The DSN parameters the filter's client sent, or null.</param>
    /// <param name="cancellationToken">Cancels the dialogue (nothing is queued).</param>
    /// <exception cref="ReinjectionException">Nothing was queued.</exception>
    public async Task<ReinjectResult> SendAsync(
        string sender,
        IReadOnlyList<string> recipients,
        Func<Stream, CancellationToken, Task> writeMessage,
        bool eightBit,
        XForward? forward,
        DsnParameters? dsn,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(writeMessage);
        if (recipients.Count == 0)
            throw new ReinjectionException("no recipients to re-inject to");
        foreach (string a in recipients.Append(sender))
            CheckAddress(a);

        IReinjectionChannel channel = _options.Mode == ReinjectionMode.Smtp
            ? await SocketChannel.ConnectAsync(_options.SmtpEndpoint, _options.ReplyTimeout, cancellationToken).ConfigureAwait(false)
            : SendmailChannel.Start(_options.SendmailPath, _options.SendmailArguments);
        bool dotSent = false;
        try
        {
            var smtp = new SmtpConnection(channel.Reader, channel.Writer, _options);
            Expect(await smtp.ReadReplyAsync(cancellationToken).ConfigureAwait(false), 220, "greeting");
            var ehlo = Expect(await smtp.CommandAsync("EHLO " + _options.HeloName, cancellationToken).ConfigureAwait(false), 250, "EHLO");
            var extensions = ehlo.Lines.Skip(1).Select(l => l.Split(' ', 2)[0].ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);

            if (forward is { IsEmpty: false })
            {
                var offered = ehlo.Lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    .Where(w => w.Length > 1 && w[0].Equals("XFORWARD", StringComparison.OrdinalIgnoreCase))
                    .SelectMany(w => w.Skip(1)).Select(n => n.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
                foreach (string command in forward.Commands(offered))
                    Expect(await smtp.CommandAsync(command, cancellationToken).ConfigureAwait(false), 250, "XFORWARD");
            }

            // An address whose only non-ASCII part is its domain goes as the domain's A-label
            // (RFC 5890: the same name), so the copy needs no SMTPUTF8. Postfix keeps a message
            // queued with SMTPUTF8 as needing it all the way, and its LMTP client then bounces it
            // ("SMTPUTF8 is required, but was not offered") at Dovecot 2.3, which offers none.
            string envelopeSender = AsciiDomain(sender);
            string mail = $"MAIL FROM:<{envelopeSender}>";
            if (eightBit && extensions.Contains("8BITMIME"))
                mail += " BODY=8BITMIME";
            if (!IsAscii(envelopeSender) || recipients.Any(r => !IsAscii(AsciiDomain(r))))
            {
                if (!extensions.Contains("SMTPUTF8"))
                    throw new ReinjectionException("an address is not ASCII and the server does not offer SMTPUTF8");
                mail += " SMTPUTF8";
            }

            bool passDsn = dsn is { IsEmpty: false } && extensions.Contains("DSN");
            if (passDsn)
                mail += dsn!.MailParameters();

            Expect(await smtp.CommandAsync(mail, cancellationToken).ConfigureAwait(false), 250, "MAIL FROM");
            foreach (string rcpt in recipients)
                Expect(await smtp.CommandAsync($"RCPT TO:<{AsciiDomain(rcpt)}>{(passDsn ? dsn!.RecipientParameters(rcpt) : string.Empty)}", cancellationToken).ConfigureAwait(false), 250, $"RCPT TO:<{rcpt}>", alsoOk: 251);
            Expect(await smtp.CommandAsync("DATA", cancellationToken).ConfigureAwait(false), 354, "DATA");

            await using var body = new DotStuffingStream(channel.Writer);
            await writeMessage(body, cancellationToken).ConfigureAwait(false);
            await body.CompleteAsync(cancellationToken).ConfigureAwait(false);

            // Only now, with the whole message written, may the message be queued.
            dotSent = true;
            await smtp.WriteLineAsync(".", cancellationToken).ConfigureAwait(false);
            var final = Expect(await smtp.ReadReplyAsync(cancellationToken).ConfigureAwait(false), 250, "end of data");
            try
            {
                await smtp.CommandAsync("QUIT", cancellationToken).ConfigureAwait(false);
            }
            catch (ReinjectionException)
            {
                // the message is queued; a lost QUIT changes nothing
            }

            return new ReinjectResult(QueueIdFrom(final), final);
        }
        catch (Exception e) when (!dotSent || e is not ReinjectionException)
        {
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                channel.Abort();
                throw;
            }

            // A peer that hung up usually said why (sendmail on stderr): collect it before killing it.
            string diagnostics = await channel.CollectDiagnosticsAsync().ConfigureAwait(false);
            channel.Abort();
            string diag = diagnostics.Length == 0 || e.Message.Contains(SmtpConnection.Printable(diagnostics), StringComparison.Ordinal)
                ? string.Empty
                : $" [{SmtpConnection.Printable(diagnostics)}]";
            if (e is ReinjectionException r)
                throw diag.Length == 0 ? r : new ReinjectionException(r.Message + diag, r.Reply, r);
            string where = dotSent ? "after the final dot (the message may have been queued)" : "before the final dot; nothing was queued";
            throw new ReinjectionException($"re-injection failed {where}: {e.Message}{diag}", e);
        }
        finally
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static SmtpReply Expect(SmtpReply reply, int code, string step, int alsoOk = 0)
    {
        if (reply.Code == code || (alsoOk != 0 && reply.Code == alsoOk))
            return reply;
        throw Refused(reply, step);
    }

    /// <summary>The error for a refusing reply at <paramref name="step"/>, with the remedy for a 552.</summary>
    internal static ReinjectionException Refused(SmtpReply reply, string step)
    {
        string hint = reply.Code == 552
            ? " (the re-injection listener's message_size_limit is too small for the ciphertext, which is about a third larger than the plaintext)"
            : string.Empty;
        return new ReinjectionException($"re-injection refused at {step}: {SmtpConnection.Printable(reply.ToString())}{hint}", reply);
    }

    internal static void CheckAddress(string address)
    {
        if (address.Length > 512 || address.Any(c => c < 0x20 || c == 0x7F || c == '<' || c == '>'))
            throw new ReinjectionException($"refusing to re-inject to a malformed address '{SmtpConnection.Printable(address)}'");
    }

    internal static bool IsAscii(string s) => s.All(c => c < 0x80);

    /// <summary><paramref name="address"/> with its domain as an A-label when the local part is ASCII and the domain is a domain name; otherwise as it is.</summary>
    internal static string AsciiDomain(string address)
    {
        int at = address.LastIndexOf('@');
        if (at <= 0 || IsAscii(address) || !IsAscii(address[..at]))
            return address;
        return Core.Keys.DomainNames.TryNormalize(address[(at + 1)..], out string? ascii, out _) ? address[..(at + 1)] + ascii : address;
    }

    internal static string? QueueIdFrom(SmtpReply reply)
    {
        var m = QueuedAs().Match(string.Join(' ', reply.Lines));
        return m.Success ? m.Groups[1].Value : null;
    }

    [GeneratedRegex(@"queued as ([0-9A-Za-z]+)", RegexOptions.CultureInvariant)]
    private static partial Regex QueuedAs();
}
