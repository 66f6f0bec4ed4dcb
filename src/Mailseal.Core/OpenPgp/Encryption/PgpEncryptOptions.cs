using System.Text;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// How <see cref="PgpEncryptor"/> shapes its output. Every limit is checked when the encryptor is
/// created, so a bad option fails before any byte is written.
/// </summary>
public sealed class PgpEncryptOptions
{
    /// <summary>The largest file name a Literal Data packet can carry, in UTF-8 octets (its length is one octet).</summary>
    public const int MaxFileNameOctets = 255;

    /// <summary>The default SEIPD v2 chunk size octet: 12, that is chunks of 2^(12+6) = 256 KiB.</summary>
    /// <remarks>
    /// RFC 9580 section 5.13.2 lets a writer pick 0..16 (64 octets to 4 MiB) and obliges every
    /// reader to accept that whole range. A reader that releases only authenticated plaintext must
    /// hold one whole chunk, so large chunks cost the decrypting side memory, while each chunk adds
    /// a 16-octet tag and one OCB set-up. 256 KiB keeps the tag overhead at 0.006 % and a reader's
    /// buffer small; it is also OpenPGP.js's default, so our output looks like common output.
    /// </remarks>
    public const int DefaultAeadChunkSizeOctet = 12;

    /// <summary>The largest chunk size octet RFC 9580 allows a writer (4 MiB chunks).</summary>
    public const int MaxAeadChunkSizeOctet = 16;

    /// <summary>Write ASCII armor ("-----BEGIN PGP MESSAGE-----") instead of binary packets. Default true.</summary>
    public bool Armor { get; init; } = true;

    /// <summary>Compress the literal data first: <see cref="CompressionAlgorithm.Uncompressed"/> (default),
    /// <see cref="CompressionAlgorithm.Zlib"/> or <see cref="CompressionAlgorithm.Zip"/>.</summary>
    public CompressionAlgorithm Compression { get; init; } = CompressionAlgorithm.Uncompressed;

    /// <summary>The file name stored in the Literal Data packet (at most 255 UTF-8 octets). Default empty.</summary>
    public string FileName { get; init; } = "";

    /// <summary>The date stored in the Literal Data packet. Default null: zero, so no time is disclosed.</summary>
    public DateTimeOffset? LiteralDate { get; init; }

    /// <summary>Use SEIPD v2 (AES-OCB) with v6 PKESKs when every recipient supports it. Default true;
    /// false always writes SEIPD v1 with v3 PKESKs.</summary>
    public bool AllowSeipdV2 { get; init; } = true;

    /// <summary>SEIPD v2 chunk size octet c, chunks of 2^(c+6) octets, 0..16.
    /// Default <see cref="DefaultAeadChunkSizeOctet"/> (12: 256 KiB).</summary>
    public int AeadChunkSizeOctet { get; init; } = DefaultAeadChunkSizeOctet;

    /// <summary>Throws <see cref="ArgumentException"/> when an option is out of range.</summary>
    internal void Validate()
    {
        if (Compression is not (CompressionAlgorithm.Uncompressed or CompressionAlgorithm.Zlib or CompressionAlgorithm.Zip))
            throw new ArgumentException($"compression {Compression} is not supported for writing (use Uncompressed, Zlib or Zip)", nameof(Compression));
        ArgumentNullException.ThrowIfNull(FileName, nameof(FileName));
        if (Encoding.UTF8.GetByteCount(FileName) > MaxFileNameOctets)
            throw new ArgumentException($"file name is longer than {MaxFileNameOctets} UTF-8 octets", nameof(FileName));
        if (AeadChunkSizeOctet is < 0 or > MaxAeadChunkSizeOctet)
            throw new ArgumentException($"AEAD chunk size octet {AeadChunkSizeOctet} is outside 0..{MaxAeadChunkSizeOctet}", nameof(AeadChunkSizeOctet));
        if (LiteralDate is { } d && (d.ToUnixTimeSeconds() < 0 || d.ToUnixTimeSeconds() > uint.MaxValue))
            throw new ArgumentException("literal date must lie between 1970 and 2106", nameof(LiteralDate));
    }
}
