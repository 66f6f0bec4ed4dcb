using Mailseal.Core.IO;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// What <see cref="PgpEncryptor.OpenEncryptingStream"/> returns: plaintext written here flows
/// through the packet chain (literal, optional compression, encryption, armor) to the output.
/// Disposing completes every layer's trailer (MDC or final tag, armor checksum and END line) and
/// flushes the output without closing it. <see cref="Abort"/> instead leaves the message
/// deliberately incomplete, so a reader never mistakes a truncated message for a whole one.
/// </summary>
internal sealed class EncryptingStream : WriteOnlyStream
{
    private readonly Stream _top;
    private readonly Stream _output;
    private bool _aborted;
    private bool _disposed;

    public EncryptingStream(Stream top, Stream output)
    {
        _top = top;
        _output = output;
    }

    public override bool CanWrite => !_disposed && !_aborted;

    /// <summary>Stops without trailers: the output holds an unterminated message that every reader rejects.</summary>
    public void Abort() => _aborted = true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_aborted)
            throw new InvalidOperationException("the encrypting stream was aborted");
        _top.Write(buffer);
    }

    public override void Flush()
    {
        // Layers emit whole parts and chunks only; the output is flushed when the message is complete.
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (!_aborted)
            {
                _top.Dispose();
                _output.Flush();
            }
        }

        base.Dispose(disposing);
    }
}
