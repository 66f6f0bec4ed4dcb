using Mailseal.Core.IO;

namespace Mailseal.Core.Messages;

/// <summary>
/// A write-only pass-through that rewrites every line break (LF or CR LF) to the message's own
/// convention, so the armored ciphertext matches the message it is placed in. Meant for ASCII
/// armor only; a lone CR is written as given.
/// </summary>
internal sealed class NewLineStream(Stream inner, string newLine) : WriteOnlyStream
{
    private readonly byte[] _eol = System.Text.Encoding.ASCII.GetBytes(newLine);
    private bool _pendingCr;

    /// <summary>True when the last byte written was a line feed (or nothing was written).</summary>
    public bool EndsWithNewLine { get; private set; } = true;

    public override bool CanWrite => true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
            return;
        EndsWithNewLine = buffer[^1] == (byte)'\n';
        var start = 0;
        for (var i = 0; i < buffer.Length; i++)
        {
            var b = buffer[i];
            if (_pendingCr)
            {
                _pendingCr = false;
                if (b == (byte)'\n')
                {
                    inner.Write(_eol);
                    start = i + 1;
                    continue;
                }

                inner.WriteByte((byte)'\r');
            }

            if (b == (byte)'\r')
            {
                inner.Write(buffer[start..i]);
                _pendingCr = true;
                start = i + 1;
            }
            else if (b == (byte)'\n')
            {
                inner.Write(buffer[start..i]);
                inner.Write(_eol);
                start = i + 1;
            }
        }

        inner.Write(buffer[start..]);
    }

    public override void Flush()
    {
        if (_pendingCr)
        {
            inner.WriteByte((byte)'\r');
            _pendingCr = false;
        }

        inner.Flush();
    }

}
