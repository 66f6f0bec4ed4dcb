using System.Buffers.Binary;
using System.Text;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// A parsed v4 or v6 Signature packet (RFC 9580 section 5.2.3): the fixed fields, the subpackets
/// Mailseal interprets, and what the verifier needs (hashed portion, salt, signature material).
/// Values are taken from the hashed area, except the issuer hints and the embedded signature,
/// which may also sit in the unhashed area. Parsing does not verify anything.
/// </summary>
public sealed class SignaturePacket
{
    private SignaturePacket(byte[] body)
    {
        Body = body;
    }

    /// <summary>Signature version: 4 or 6.</summary>
    public int Version { get; private set; }

    /// <summary>Signature type.</summary>
    public SignatureType Type { get; private set; }

    /// <summary>Public-key algorithm of the signing key.</summary>
    public PublicKeyAlgorithm KeyAlgorithm { get; private set; }

    /// <summary>Hash algorithm.</summary>
    public HashAlgorithm Hash { get; private set; }

    /// <summary>Signature creation time (hashed subpacket 2; required).</summary>
    public DateTimeOffset Created { get; private set; }

    /// <summary>Signature lifetime from <see cref="Created"/>; null = does not expire.</summary>
    public TimeSpan? SignatureLifetime { get; private set; }

    /// <summary>Key lifetime from the key's creation (subpacket 9); null = not stated or never.</summary>
    public TimeSpan? KeyLifetime { get; private set; }

    /// <summary>Key flags (subpacket 27), or null when the subpacket is absent.</summary>
    public KeyFlags? Flags { get; private set; }

    /// <summary>Preferred symmetric algorithms (subpacket 11), most preferred first.</summary>
    public IReadOnlyList<SymmetricAlgorithm> PreferredSymmetric { get; private set; } = [];

    /// <summary>Preferred AEAD ciphersuites (subpacket 39), most preferred first.</summary>
    public IReadOnlyList<(SymmetricAlgorithm Cipher, AeadAlgorithm Aead)> PreferredAeadCiphersuites { get; private set; } = [];

    /// <summary>Features (subpacket 30), or empty.</summary>
    public ReadOnlyMemory<byte> Features { get; private set; }

    /// <summary>The primary user id flag (subpacket 25).</summary>
    public bool IsPrimaryUserId { get; private set; }

    /// <summary>Reason for revocation code (subpacket 29), if present.</summary>
    public RevocationReason? RevocationCode { get; private set; }

    /// <summary>Reason for revocation text (subpacket 29), if present.</summary>
    public string? RevocationText { get; private set; }

    /// <summary>Issuer key id (subpacket 16), if present.</summary>
    public ulong? IssuerKeyId { get; private set; }

    /// <summary>Issuer fingerprint (subpacket 33) without its version octet, if present.</summary>
    public byte[]? IssuerFingerprint { get; private set; }

    /// <summary>Embedded signature (subpacket 32), if present and readable.</summary>
    public SignaturePacket? EmbeddedSignature { get; private set; }

    /// <summary>
    /// The first critical hashed subpacket Mailseal does not understand, or null. A signature
    /// carrying one is invalid (RFC 9580 section 5.2.3.7).
    /// </summary>
    public int? UnknownCriticalSubpacket { get; private set; }

    /// <summary>Whether the hashed area held a creation time subpacket (a signature without one is invalid).</summary>
    public bool HasCreationTime { get; private set; }

    /// <summary>The left 16 bits of the signed hash.</summary>
    public ushort HashPrefix { get; private set; }

    /// <summary>v6 salt (empty for v4).</summary>
    public ReadOnlyMemory<byte> Salt { get; private set; }

    /// <summary>The whole packet body as read.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The hashed portion: from the version octet through the hashed subpackets.</summary>
    internal ReadOnlyMemory<byte> HashedPortion { get; private set; }

    /// <summary>The algorithm-specific signature fields (MPIs or native octets).</summary>
    internal ReadOnlyMemory<byte> SignatureMaterial { get; private set; }

    /// <summary>Whether this signature names <paramref name="key"/> as its issuer (by fingerprint or key id).</summary>
    public bool IsIssuedBy(PublicKeyPacket key)
    {
        if (IssuerFingerprint is { } fpr)
            return fpr.AsSpan().SequenceEqual(key.Fingerprint);
        if (IssuerKeyId is { } id)
            return id == key.KeyId;
        return false;
    }

    /// <summary>Whether the signature has expired at <paramref name="now"/> (signature expiration subpacket).</summary>
    public bool IsExpiredAt(DateTimeOffset now) => SignatureLifetime is { } life && Created + life <= now;

    /// <summary>Parses a v4 or v6 signature packet body.</summary>
    /// <exception cref="OpenPgpFormatException">Malformed, truncated, another version, or over a limit.</exception>
    public static SignaturePacket Parse(ReadOnlySpan<byte> body, OpenPgpReadOptions? options = null)
        => Parse(body.ToArray(), options ?? OpenPgpReadOptions.Default, depth: 0);

    private static SignaturePacket Parse(byte[] body, OpenPgpReadOptions options, int depth)
    {
        if (body.Length < 1)
            throw new OpenPgpFormatException("signature packet is empty");
        int version = body[0];
        if (version is not (4 or 6))
            throw new OpenPgpFormatException($"signature version {version} is not supported (only 4 and 6)");
        int lenSize = version == 4 ? 2 : 4;
        if (body.Length < 4 + lenSize)
            throw new OpenPgpFormatException("signature packet is shorter than its fixed fields");
        var sig = new SignaturePacket(body)
        {
            Version = version,
            Type = (SignatureType)body[1],
            KeyAlgorithm = (PublicKeyAlgorithm)body[2],
            Hash = (HashAlgorithm)body[3],
        };
        int p = 4;
        long hashedLen = ReadAreaLength(body, ref p, lenSize);
        if (hashedLen > body.Length - p)
            throw new OpenPgpFormatException("signature hashed subpacket area is truncated");
        var hashed = new ReadOnlySpan<byte>(body, p, (int)hashedLen);
        p += (int)hashedLen;
        sig.HashedPortion = new ReadOnlyMemory<byte>(body, 0, p);
        if (body.Length - p < lenSize)
            throw new OpenPgpFormatException("signature unhashed subpacket length is missing");
        long unhashedLen = ReadAreaLength(body, ref p, lenSize);
        if (unhashedLen > body.Length - p)
            throw new OpenPgpFormatException("signature unhashed subpacket area is truncated");
        var unhashed = new ReadOnlySpan<byte>(body, p, (int)unhashedLen);
        p += (int)unhashedLen;
        if (body.Length - p < 2)
            throw new OpenPgpFormatException("signature hash prefix is missing");
        sig.HashPrefix = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(p, 2));
        p += 2;
        if (version == 6)
        {
            if (body.Length - p < 1)
                throw new OpenPgpFormatException("v6 signature salt length is missing");
            int saltLen = body[p++];
            if (body.Length - p < saltLen)
                throw new OpenPgpFormatException("v6 signature salt is truncated");
            sig.Salt = new ReadOnlyMemory<byte>(body, p, saltLen);
            p += saltLen;
        }

        sig.SignatureMaterial = new ReadOnlyMemory<byte>(body, p, body.Length - p);
        sig.ReadSubpackets(hashed, isHashed: true, options, depth);
        sig.ReadSubpackets(unhashed, isHashed: false, options, depth);
        return sig;
    }

    private static long ReadAreaLength(byte[] body, ref int p, int size)
    {
        long len = size == 2 ? BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(p, 2)) : BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(p, 4));
        p += size;
        return len;
    }

    private void ReadSubpackets(ReadOnlySpan<byte> area, bool isHashed, OpenPgpReadOptions options, int depth)
    {
        int count = 0;
        int p = 0;
        while (p < area.Length)
        {
            if (++count > options.MaxSubpackets)
                throw new OpenPgpFormatException($"signature has more than {options.MaxSubpackets} subpackets in one area (MaxSubpackets)");
            long len;
            int first = area[p];
            if (first < 192)
            {
                len = first;
                p += 1;
            }
            else if (first < 255)
            {
                if (area.Length - p < 2)
                    throw new OpenPgpFormatException("signature subpacket length is truncated");
                len = ((first - 192) << 8) + area[p + 1] + 192;
                p += 2;
            }
            else
            {
                if (area.Length - p < 5)
                    throw new OpenPgpFormatException("signature subpacket length is truncated");
                len = BinaryPrimitives.ReadUInt32BigEndian(area.Slice(p + 1, 4));
                p += 5;
            }

            if (len < 1 || len > area.Length - p)
                throw new OpenPgpFormatException("signature subpacket is truncated or has length 0");
            int typeOctet = area[p];
            bool critical = (typeOctet & 0x80) != 0;
            int type = typeOctet & 0x7F;
            var data = area.Slice(p + 1, (int)len - 1);
            p += (int)len;
            bool understood = isHashed ? ReadHashed(type, data, critical, options, depth) : ReadUnhashed(type, data, options, depth);
            if (isHashed && critical && !understood && UnknownCriticalSubpacket is null)
                UnknownCriticalSubpacket = type;
        }
    }

    private bool ReadHashed(int type, ReadOnlySpan<byte> data, bool critical, OpenPgpReadOptions options, int depth)
    {
        switch (type)
        {
            case 2:
                Expect(data, 4, "signature creation time");
                Created = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(data));
                HasCreationTime = true;
                return true;
            case 3:
                Expect(data, 4, "signature expiration time");
                uint sigLife = BinaryPrimitives.ReadUInt32BigEndian(data);
                SignatureLifetime = sigLife == 0 ? null : TimeSpan.FromSeconds(sigLife);
                return true;
            case 9:
                Expect(data, 4, "key expiration time");
                uint keyLife = BinaryPrimitives.ReadUInt32BigEndian(data);
                KeyLifetime = keyLife == 0 ? null : TimeSpan.FromSeconds(keyLife);
                return true;
            case 11:
                PreferredSymmetric = data.ToArray().Select(b => (SymmetricAlgorithm)b).ToArray();
                return true;
            case 25:
                Expect(data, 1, "primary user id");
                IsPrimaryUserId = data[0] != 0;
                return true;
            case 27:
                Flags = data.IsEmpty ? KeyFlags.None : (KeyFlags)data[0];
                return true;
            case 29:
                if (data.IsEmpty)
                    throw new OpenPgpFormatException("reason for revocation subpacket is empty");
                RevocationCode = (RevocationReason)data[0];
                RevocationText = Encoding.UTF8.GetString(data[1..]);
                return true;
            case 30:
                Features = data.ToArray();
                return true;
            case 39:
                var suites = new List<(SymmetricAlgorithm, AeadAlgorithm)>();
                for (int i = 0; i + 1 < data.Length; i += 2)
                    suites.Add(((SymmetricAlgorithm)data[i], (AeadAlgorithm)data[i + 1]));
                PreferredAeadCiphersuites = suites;
                return true;
            case 16 or 32 or 33:
                return ReadUnhashed(type, data, options, depth);

            // Understood well enough to honour a critical bit: they restrict how the signature
            // may be used for trust or export, which never widens what Mailseal accepts.
            case 4 or 5 or 6 or 7 or 12 or 21 or 22 or 23 or 24 or 26 or 28 or 31 or 34 or 35 or 37 or 38:
                return true;

            // Notation data: Mailseal knows no notation, so a critical one is not understood.
            case 20:
                return !critical;
            default:
                return false;
        }
    }

    private bool ReadUnhashed(int type, ReadOnlySpan<byte> data, OpenPgpReadOptions options, int depth)
    {
        switch (type)
        {
            case 16:
                Expect(data, 8, "issuer key id");
                IssuerKeyId ??= BinaryPrimitives.ReadUInt64BigEndian(data);
                return true;
            case 33:
                if (data.Length is not (21 or 33))
                    throw new OpenPgpFormatException($"issuer fingerprint subpacket has {data.Length} octets");
                IssuerFingerprint ??= data[1..].ToArray();
                return true;
            case 32:
                // Only back-signatures use it, and Mailseal does not need them to encrypt: an
                // unreadable one is dropped rather than making the whole signature unreadable.
                if (depth == 0 && EmbeddedSignature is null)
                {
                    try
                    {
                        EmbeddedSignature = Parse(data.ToArray(), options, depth + 1);
                    }
                    catch (OpenPgpFormatException)
                    {
                        EmbeddedSignature = null;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static void Expect(ReadOnlySpan<byte> data, int length, string what)
    {
        if (data.Length != length)
            throw new OpenPgpFormatException($"{what} subpacket has {data.Length} octets, expected {length}");
    }
}
