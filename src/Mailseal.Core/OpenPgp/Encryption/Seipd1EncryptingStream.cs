using System.Security.Cryptography;

using Mailseal.Core.IO;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// The body of a version 1 Symmetrically Encrypted Integrity Protected Data packet (RFC 9580
/// section 5.13.1): the version octet, then OpenPGP CFB — which for SEIPD v1 is plain CFB-128 with
/// a zero IV — over a random prefix (one block plus its last two octets repeated), the inner
/// packets written here, and the Modification Detection Code packet (0xD3 0x14 and SHA-1 over
/// everything before the hash). Encrypts in large batches through one .NET CFB transform.
/// </summary>
internal sealed class Seipd1EncryptingStream : WriteOnlyStream
{
    private const int BlockSize = 16;

    /// <summary>The batch encrypted per transform call: large enough to amortise the call, small enough to stay in cache.</summary>
    private const int BatchSize = 64 * 1024;

    private readonly Stream _inner;
    private readonly Aes _aes;
    private readonly ICryptoTransform _transform;
    private readonly IncrementalHash _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private readonly byte[] _plain = GC.AllocateUninitializedArray<byte>(BatchSize);
    private readonly byte[] _cipher = GC.AllocateUninitializedArray<byte>(BatchSize);
    private int _fill;
    private bool _disposed;

    /// <summary>Writes the version octet and the encrypted random prefix to <paramref name="inner"/>, which this stream owns.</summary>
    public Seipd1EncryptingStream(Stream inner, ReadOnlySpan<byte> sessionKey)
    {
        _inner = inner;
        _aes = Aes.Create();
        _aes.Key = sessionKey.ToArray();
        _aes.Mode = CipherMode.CFB;
        _aes.FeedbackSize = 128;
        _aes.Padding = PaddingMode.None;
        _aes.IV = new byte[BlockSize];
        _transform = _aes.CreateEncryptor();

        _inner.WriteByte(1);
        Span<byte> prefix = stackalloc byte[BlockSize + 2];
        RandomNumberGenerator.Fill(prefix[..BlockSize]);
        prefix[BlockSize] = prefix[BlockSize - 2];
        prefix[BlockSize + 1] = prefix[BlockSize - 1];
        Append(prefix);
    }

    public override bool CanWrite => !_disposed;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Append(buffer);
    }

    public override void Flush()
    {
        // Ciphertext leaves in whole batches; the owner flushes the output at the end.
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, BatchSize - _fill);
            data[..n].CopyTo(_plain.AsSpan(_fill));
            _fill += n;
            data = data[n..];
            if (_fill == BatchSize)
                EncryptBatch(BatchSize, hash: true);
        }
    }

    /// <summary>Encrypts and writes the first <paramref name="count"/> buffered octets (a multiple of the
    /// block size). With <paramref name="hash"/>, SHA-1 runs over the same plaintext on another core
    /// while AES encrypts it: the two together cost the slower of them, not their sum.</summary>
    private void EncryptBatch(int count, bool hash)
    {
        Task? hashing = null;
        if (hash)
        {
            // Small batches are not worth a thread hop.
            if (count >= 16 * 1024)
                hashing = Task.Run(() => _sha1.AppendData(_plain, 0, count));
            else
                _sha1.AppendData(_plain, 0, count);
        }

        int done;
        try
        {
            done = _transform.TransformBlock(_plain, 0, count, _cipher, 0);
        }
        finally
        {
            // Never leave the hash running over a buffer that is about to change.
            hashing?.GetAwaiter().GetResult();
        }

        _inner.Write(_cipher, 0, done);
        _fill -= count;
        if (_fill > 0)
            Buffer.BlockCopy(_plain, count, _plain, 0, _fill);
    }

    private void Finish()
    {
        // The MDC packet header is hashed; then everything still buffered is hashed, and the hash
        // completes the packet unhashed.
        Append([0xD3, 0x14]);
        _sha1.AppendData(_plain, 0, _fill);
        Span<byte> hash = stackalloc byte[20];
        _sha1.GetHashAndReset(hash);
        if (_fill + hash.Length > BatchSize)
            EncryptBatch(_fill / BlockSize * BlockSize, hash: false);
        hash.CopyTo(_plain.AsSpan(_fill));
        _fill += hash.Length;

        int whole = _fill / BlockSize * BlockSize;
        if (whole > 0)
            EncryptBatch(whole, hash: false);
        if (_fill > 0)
        {
            // CFB: a short last block is the plaintext XOR the first octets of the next keystream
            // block, so encrypting it zero-padded and keeping the first octets is exact.
            int tail = _fill;
            _plain.AsSpan(tail, BlockSize - tail).Clear();
            _transform.TransformBlock(_plain, 0, BlockSize, _cipher, 0);
            _inner.Write(_cipher, 0, tail);
            _fill = 0;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                Finish();
                _inner.Dispose();
            }
            finally
            {
                CryptographicOperations.ZeroMemory(_plain);
                _transform.Dispose();
                _aes.Dispose();
                _sha1.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
