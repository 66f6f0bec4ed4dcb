namespace Mailseal.Core.OpenPgp;

/// <summary>One ASCII-armored block (RFC 9580 section 6.2), decoded.</summary>
/// <param name="Label">What follows "BEGIN " in the header line, e.g. "PGP PUBLIC KEY BLOCK".</param>
/// <param name="Headers">Armor headers ("Comment", "Version", ...) in order, as written.</param>
/// <param name="Data">The decoded binary data.</param>
/// <param name="HadChecksum">Whether the block carried a CRC-24 line (it was checked if so).</param>
public sealed record ArmoredBlock(
    string Label,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Data,
    bool HadChecksum);
