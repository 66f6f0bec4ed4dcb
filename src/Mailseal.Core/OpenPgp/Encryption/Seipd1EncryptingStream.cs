using System.Security.Cryptography;

using Mailseal.Core.IO;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// The body of a version 1 Symmetrically Encrypted Integrity Protected Data packet (RFC 9580
/// section 5.13.1): the version octet, then OpenPGP CFB — which for SEIPD v1 is plain CFB-128 with
/// a zero IV — over a random prefix (one block plus its last two octets repeated), the inner
/// packets written here, and the Modification Detection Code packet (0xD3 0x14 and SHA-1 over
/// everything before the hash). Encrypts in large batches.
/// <para>
/// Which AES and SHA-1 do the work is decided at the first batch. A message that ends before one
/// batch is full (most mail) is done by BouncyCastle's managed AES (AES-NI where the CPU has it)
/// and SHA-1: .NET's would load OpenSSL, ~6 ms and ~200 page faults, more than the whole
/// encryption of a small message costs. A longer one goes through .NET's (OpenSSL's) CFB and
/// SHA-1, three to four times faster per octet. Both produce the same octets.
/// </para>
/// </summary>
internal sealed class Seipd1EncryptingStream : WriteOnlyStream
{
    private const int BlockSize = 16;

    /// <summary>The batch encrypted per transform call: large enough to amortise the call, small enough to stay in cache.</summary>
    private const int BatchSize = 64 * 1024;

    private readonly Stream _inner;
    private readonly byte[] _key;
    private Aes? _aes;
    private ICryptoTransform? _transform;
    private IncrementalHash? _sha1;
    private CfbBlockCipher? _managedCfb;
    private Sha1Digest? _managedSha1;
    private readonly byte[] _plain = GC.AllocateUninitializedArray<byte>(BatchSize);
    private readonly byte[] _cipher = GC.AllocateUninitializedArray<byte>(BatchSize);
    private int _fill;
    // How far into _plain plaintext was ever written: Dispose wipes that much, not the untouched
    // rest of the batch buffer (for a 10 KB message, wiping all 64 KiB faulted in 12 fresh pages).
    private int _plainHighWater;
    private bool _disposed;

    /// <summary>Writes the version octet and the encrypted random prefix to <paramref name="inner"/>, which this stream owns.</summary>
    public Seipd1EncryptingStream(Stream inner, ReadOnlySpan<byte> sessionKey)
    {
        _inner = inner;
        _key = sessionKey.ToArray();

        _inner.WriteByte(1);
        Span<byte> prefix = stackalloc byte[BlockSize + 2];
        KernelRandom.Fill(prefix[..BlockSize]);
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
            _plainHighWater = Math.Max(_plainHighWater, _fill);
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
        // A batch full before the end: a long message (see the class remarks).
        ChooseImplementation(managed: false);
        Task? hashing = null;
        if (hash)
        {
            // Small batches are not worth a thread hop.
            if (count >= 16 * 1024 && _sha1 is not null)
                hashing = Task.Run(() => _sha1.AppendData(_plain, 0, count));
            else
                HashAppend(count);
        }

        int done;
        try
        {
            done = Transform(count);
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

    /// <summary>Sets up the AES and SHA-1 that do the work, once: BouncyCastle's (<paramref name="managed"/>) or .NET's.</summary>
    private void ChooseImplementation(bool managed)
    {
        if (_transform is not null || _managedCfb is not null)
            return;
        if (managed)
        {
            _managedCfb = new CfbBlockCipher(AesUtilities.CreateEngine(), 8 * BlockSize);
            _managedCfb.Init(true, new ParametersWithIV(new KeyParameter(_key), new byte[BlockSize]));
            _managedSha1 = new Sha1Digest();
        }
        else
        {
            _aes = Aes.Create();
            _aes.Key = _key;
            _aes.Mode = CipherMode.CFB;
            _aes.FeedbackSize = 128;
            _aes.Padding = PaddingMode.None;
            _aes.IV = new byte[BlockSize];
            _transform = _aes.CreateEncryptor();
            _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        }

        CryptographicOperations.ZeroMemory(_key);
    }

    private void HashAppend(int count)
    {
        if (_sha1 is not null)
            _sha1.AppendData(_plain, 0, count);
        else
            _managedSha1!.BlockUpdate(_plain, 0, count);
    }

    /// <summary>Encrypts the first <paramref name="count"/> octets of the plaintext buffer (whole blocks) into the ciphertext buffer.</summary>
    private int Transform(int count)
    {
        if (_transform is not null)
            return _transform.TransformBlock(_plain, 0, count, _cipher, 0);
        for (int offset = 0; offset < count; offset += BlockSize)
            _managedCfb!.ProcessBlock(_plain, offset, _cipher, offset);
        return count;
    }

    private void Finish()
    {
        // The MDC packet header is hashed; then everything still buffered is hashed, and the hash
        // completes the packet unhashed.
        Append([0xD3, 0x14]);
        ChooseImplementation(managed: true);
        HashAppend(_fill);
        Span<byte> hash = stackalloc byte[20];
        if (_sha1 is not null)
            _sha1.GetHashAndReset(hash);
        else
            _managedSha1!.DoFinal(hash);
        if (_fill + hash.Length > BatchSize)
            EncryptBatch(_fill / BlockSize * BlockSize, hash: false);
        hash.CopyTo(_plain.AsSpan(_fill));
        _fill += hash.Length;
        _plainHighWater = Math.Max(_plainHighWater, _fill);

        int whole = _fill / BlockSize * BlockSize;
        if (whole > 0)
            EncryptBatch(whole, hash: false);
        if (_fill > 0)
        {
            // CFB: a short last block is the plaintext XOR the first octets of the next keystream
            // block, so encrypting it zero-padded and keeping the first octets is exact.
            int tail = _fill;
            _plain.AsSpan(tail, BlockSize - tail).Clear();
            Transform(BlockSize);
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
                CryptographicOperations.ZeroMemory(_plain.AsSpan(0, _plainHighWater));
                CryptographicOperations.ZeroMemory(_key);
                _transform?.Dispose();
                _aes?.Dispose();
                _sha1?.Dispose();
                _managedCfb?.Reset();
            }
        }

        base.Dispose(disposing);
    }
}
