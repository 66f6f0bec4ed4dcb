using System.Buffers.Binary;
using System.Security.Cryptography;
using Mailseal.Core.IO;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;

using Org.BouncyCastle.Crypto.Parameters;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// The body of a version 2 Symmetrically Encrypted Integrity Protected Data packet (RFC 9580
/// section 5.13.2) with AES-OCB: version, cipher, AEAD algorithm, chunk size octet and a 32-octet
/// salt, then the inner packets cut into chunks of 2^(c+6) octets, each encrypted with its own
/// 16-octet tag, and a final tag that authenticates the total length. The message key and IV come
/// from HKDF-SHA256 over the session key, with the salt, and the packet header as info.
/// </summary>
internal sealed class Seipd2EncryptingStream : WriteOnlyStream
{
    /// <summary>The OCB nonce length OpenPGP uses (RFC 9580 section 5.13.2, table 25).</summary>
    private const int NonceLength = 15;
    private const int TagLength = 16;

    /// <summary>Salt length, fixed by the RFC.</summary>
    public const int SaltLength = 32;

    private readonly Stream _inner;
    private readonly byte[] _header;
    private readonly byte[] _messageKey;
    private readonly byte[] _iv;
    private readonly OcbBlockCipher _ocb = new(new AesEngine(), new AesEngine());
    private readonly byte[] _chunk;
    private readonly byte[] _output;
    private readonly byte[] _nonce = new byte[NonceLength];
    private int _fill;
    private ulong _chunkIndex;
    private ulong _total;
    private bool _keyed;
    private bool _disposed;

    /// <summary>Writes the packet's fixed fields to <paramref name="inner"/>, which this stream owns.</summary>
    /// <param name="inner">Where the packet body goes.</param>
    /// <param name="cipher">AES-128, -192 or -256.</param>
    /// <param name="sessionKey">The session key (its length matches <paramref name="cipher"/>).</param>
    /// <param name="chunkSizeOctet">c: chunks of 2^(c+6) octets, 0..16.</param>
    /// <param name="salt">32 random octets (a test may fix them to reproduce a sample).</param>
    public Seipd2EncryptingStream(Stream inner, SymmetricAlgorithm cipher, ReadOnlySpan<byte> sessionKey, int chunkSizeOctet, ReadOnlySpan<byte> salt)
    {
        int keyLength = KeyLength(cipher);
        if (sessionKey.Length != keyLength)
            throw new ArgumentException($"session key is {sessionKey.Length} octets, {cipher} needs {keyLength}", nameof(sessionKey));
        if (chunkSizeOctet is < 0 or > PgpEncryptOptions.MaxAeadChunkSizeOctet)
            throw new ArgumentOutOfRangeException(nameof(chunkSizeOctet), chunkSizeOctet, "chunk size octet must be 0..16");
        if (salt.Length != SaltLength)
            throw new ArgumentException("salt must be 32 octets", nameof(salt));

        _inner = inner;
        _header = [PacketWriter.TagOctet(PacketTag.SymmetricallyEncryptedIntegrityProtectedData), 2, (byte)cipher, (byte)AeadAlgorithm.Ocb, (byte)chunkSizeOctet];
        var derived = Hkdf.DeriveKey(new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), sessionKey.ToArray(), keyLength + NonceLength - 8, salt.ToArray(), _header);
        _messageKey = derived.AsSpan(0, keyLength).ToArray();
        _iv = derived.AsSpan(keyLength).ToArray();
        CryptographicOperations.ZeroMemory(derived);
        int chunkSize = 1 << (chunkSizeOctet + 6);
        _chunk = GC.AllocateUninitializedArray<byte>(chunkSize);
        _output = GC.AllocateUninitializedArray<byte>(chunkSize + TagLength);

        _inner.Write(_header.AsSpan(1));
        _inner.Write(salt);
    }

    public override bool CanWrite => !_disposed;

    internal static int KeyLength(SymmetricAlgorithm cipher) => cipher switch
    {
        SymmetricAlgorithm.Aes128 => 16,
        SymmetricAlgorithm.Aes192 => 24,
        SymmetricAlgorithm.Aes256 => 32,
        _ => throw new ArgumentException($"{cipher} is not an AES variant", nameof(cipher)),
    };

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            // A full chunk is sealed only when more data follows, so the last chunk is never empty.
            if (_fill == _chunk.Length)
                SealChunk();
            int n = Math.Min(buffer.Length, _chunk.Length - _fill);
            buffer[..n].CopyTo(_chunk.AsSpan(_fill));
            _fill += n;
            buffer = buffer[n..];
        }
    }

    public override void Flush()
    {
        // Chunks leave whole; the owner flushes the output at the end.
    }

    private void InitOcb(byte[] associatedData)
    {
        _iv.CopyTo(_nonce, 0);
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(_iv.Length), _chunkIndex);
        // The key schedule is set once; later chunks only change nonce and associated data.
        var key = _keyed ? null : new KeyParameter(_messageKey);
        _ocb.Init(true, new AeadParameters(key, TagLength * 8, _nonce, associatedData));
        _keyed = true;
    }

    private void SealChunk()
    {
        InitOcb(_header);
        int n = _ocb.ProcessBytes(_chunk, 0, _fill, _output, 0);
        n += _ocb.DoFinal(_output, n);
        _inner.Write(_output, 0, n);
        _total += (ulong)_fill;
        _chunkIndex++;
        _fill = 0;
    }

    private void Finish()
    {
        if (_fill > 0)
            SealChunk();

        // The final tag: an empty encryption whose associated data is the header and the total length.
        var finalData = new byte[_header.Length + 8];
        _header.CopyTo(finalData, 0);
        BinaryPrimitives.WriteUInt64BigEndian(finalData.AsSpan(_header.Length), _total);
        InitOcb(finalData);
        int n = _ocb.DoFinal(_output, 0);
        _inner.Write(_output, 0, n);
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
                CryptographicOperations.ZeroMemory(_chunk);
                CryptographicOperations.ZeroMemory(_messageKey);
            }
        }

        base.Dispose(disposing);
    }
}
