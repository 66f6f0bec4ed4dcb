using System.Buffers.Text;
using System.Text;

using Mailseal.Core.IO;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// Writes ASCII armor (RFC 9580 section 6) as a stream: the BEGIN line, a blank line, base64 in
/// 64-column lines as gpg writes them, optionally the CRC-24 checksum line, and the END line.
/// Lines end in LF. Memory is one fixed batch, whatever the size. Disposing writes the trailer;
/// the output is flushed then, and closed only when <c>leaveOpen</c> is false.
/// </summary>
public sealed class ArmorWriterStream : WriteOnlyStream
{
    /// <summary>Raw octets per armor line: 48 octets become 64 base64 characters.</summary>
    private const int OctetsPerLine = 48;
    private const int LinesPerBatch = 1024;
    private const int BatchOctets = OctetsPerLine * LinesPerBatch;

    private readonly Stream _output;
    private readonly string _label;
    private readonly bool _writeChecksum;
    private readonly bool _leaveOpen;
    private readonly byte[] _pending = GC.AllocateUninitializedArray<byte>(BatchOctets);
    private readonly byte[] _encoded = GC.AllocateUninitializedArray<byte>(LinesPerBatch * 65);
    private Crc24 _crc;
    private int _fill;
    private bool _headerWritten;
    private bool _disposed;

    /// <summary>Creates an armor writer.</summary>
    /// <param name="output">Where the armored text goes.</param>
    /// <param name="label">The armor label, for example "PGP MESSAGE" or "PGP PUBLIC KEY BLOCK".</param>
    /// <param name="writeChecksum">Write the "=XXXX" CRC-24 line. RFC 9580 says not to for SEIPD v2
    /// messages; GnuPG 2.2 expects it for everything else.</param>
    /// <param name="leaveOpen">Leave <paramref name="output"/> open on dispose.</param>
    public ArmorWriterStream(Stream output, string label = "PGP MESSAGE", bool writeChecksum = true, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        if (label.AsSpan().IndexOfAny("\r\n-") >= 0)
            throw new ArgumentException("armor label must be one line without dashes", nameof(label));
        _output = output;
        _label = label;
        _writeChecksum = writeChecksum;
        _leaveOpen = leaveOpen;
    }

    /// <inheritdoc/>
    public override bool CanWrite => !_disposed;

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteHeaderOnce();
        if (_writeChecksum)
            _crc.Append(buffer);
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, BatchOctets - _fill);
            buffer[..n].CopyTo(_pending.AsSpan(_fill));
            _fill += n;
            buffer = buffer[n..];
            if (_fill == BatchOctets)
                EncodeLines();
        }
    }

    /// <summary>Writes the complete lines buffered so far and flushes the output.</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteHeaderOnce();
        EncodeLines();
        _output.Flush();
    }

    private void WriteHeaderOnce()
    {
        if (_headerWritten)
            return;
        _headerWritten = true;
        _output.Write(Encoding.ASCII.GetBytes($"-----BEGIN {_label}-----\n\n"));
    }

    /// <summary>Encodes every whole 48-octet line buffered; keeps the remainder.</summary>
    private void EncodeLines()
    {
        int lines = _fill / OctetsPerLine;
        if (lines == 0)
            return;
        int used = lines * OctetsPerLine;

        // One vectorised base64 pass over the whole batch into the tail of the output buffer,
        // then the 64-character lines are moved forward into place with their line feeds.
        int charsLength = lines * 64;
        int tail = _encoded.Length - charsLength;
        Base64.EncodeToUtf8(_pending.AsSpan(0, used), _encoded.AsSpan(tail), out _, out _);
        int written = 0;
        for (int i = 0; i < lines; i++)
        {
            _encoded.AsSpan(tail + (i * 64), 64).CopyTo(_encoded.AsSpan(written));
            written += 64;
            _encoded[written++] = (byte)'\n';
        }

        _output.Write(_encoded, 0, written);
        _fill -= used;
        if (_fill > 0)
            Buffer.BlockCopy(_pending, used, _pending, 0, _fill);
    }

    private void WriteTrailer()
    {
        WriteHeaderOnce();
        EncodeLines();
        if (_fill > 0)
        {
            Base64.EncodeToUtf8(_pending.AsSpan(0, _fill), _encoded, out _, out int produced);
            _encoded[produced++] = (byte)'\n';
            _output.Write(_encoded, 0, produced);
            _fill = 0;
        }

        if (_writeChecksum)
        {
            uint crc = _crc.Value;
            Span<byte> raw = [(byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
            Span<byte> line = stackalloc byte[6];
            line[0] = (byte)'=';
            Base64.EncodeToUtf8(raw, line[1..], out _, out _);
            line[5] = (byte)'\n';
            _output.Write(line);
        }

        _output.Write(Encoding.ASCII.GetBytes($"-----END {_label}-----\n"));
        _output.Flush();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                WriteTrailer();
            }
            finally
            {
                if (!_leaveOpen)
                    _output.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
