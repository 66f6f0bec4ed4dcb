namespace Mailseal.Core.OpenPgp;

/// <summary>Compression algorithm ids (RFC 9580 section 9.4).</summary>
public enum CompressionAlgorithm : byte
{
    /// <summary>No compression.</summary>
    Uncompressed = 0,
    /// <summary>Raw DEFLATE (RFC 1951).</summary>
    Zip = 1,
    /// <summary>ZLIB (RFC 1950).</summary>
    Zlib = 2,
    /// <summary>BZip2 (read only).</summary>
    BZip2 = 3,
}
