using System.Buffers;
using System.Globalization;
using System.Text;

namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// The client side of an SMTP dialogue over any pair of streams (a TCP socket, or sendmail's
/// stdin and stdout). Reply lines and counts are bounded; every read has a timeout.
/// </summary>
internal sealed class SmtpConnection
{
    private readonly Stream _reader;
    private readonly Stream _writer;
    private readonly ReinjectorOptions _options;
    private readonly byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;

    public SmtpConnection(Stream reader, Stream writer, ReinjectorOptions options)
    {
        _reader = reader;
        _writer = writer;
        _options = options;
    }

    public Stream Writer => _writer;

    public async Task<SmtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReplyTimeout);
        var lines = new List<string>();
        int code = 0;
        try
        {
            while (true)
            {
                string line = await ReadLineAsync(timeout.Token).ConfigureAwait(false);
                if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int c)
                    || (line.Length > 3 && line[3] != ' ' && line[3] != '-'))
                    throw new ReinjectionException($"malformed SMTP reply '{Printable(line)}'");
                if (code != 0 && c != code)
                    throw new ReinjectionException($"SMTP reply changed its code mid-reply: '{Printable(line)}'");
                code = c;
                lines.Add(line.Length > 4 ? line[4..] : string.Empty);
                if (lines.Count > _options.MaxReplyLines)
                    throw new ReinjectionException($"SMTP reply has more than {_options.MaxReplyLines} lines");
                if (line.Length == 3 || line[3] == ' ')
                    return new SmtpReply(code, lines);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ReinjectionException($"no SMTP reply within {_options.ReplyTimeout.TotalSeconds:0.#} s");
        }
    }

    public async Task<SmtpReply> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await WriteLineAsync(command, cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteLineAsync(string command, CancellationToken cancellationToken)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(command + "\r\n");
        await _writer.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new ArrayBufferWriter<byte>(256);
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await _reader.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                    throw new ReinjectionException("the SMTP server closed the connection");
            }

            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (nl < 0 ? _end : nl) - _start;
            if (line.WrittenCount + take > _options.MaxReplyLineLength)
                throw new ReinjectionException($"SMTP reply line longer than {_options.MaxReplyLineLength} bytes");
            line.Write(_buffer.AsSpan(_start, take));
            if (nl < 0)
            {
                _start = _end;
                continue;
            }

            _start = nl + 1;
            var span = line.WrittenSpan;
            if (span.Length > 0 && span[^1] == (byte)'\r')
                span = span[..^1];
            return Encoding.UTF8.GetString(span);
        }
    }

    internal static string Printable(string s)
    {
        var clean = new string(s.Select(ch => ch < 0x20 || ch == 0x7F ? '?' : ch).ToArray());
        return clean.Length > 200 ? clean[..200] + "..." : clean;
    }
}
