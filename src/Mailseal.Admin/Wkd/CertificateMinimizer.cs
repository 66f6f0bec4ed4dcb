using Mailseal.Core.OpenPgp;

namespace Mailseal.Admin.Wkd;

/// <summary>
/// The certificate as a Web Key Directory serves it: the binary transferable public key with only
/// the user ids that name the address (and their signatures); other user ids, user attributes
/// (photos) and trust packets are left out, as the draft asks ("SHOULD only contain the user id
/// of the requested address"), so a lookup of one address does not reveal the key owner's others.
/// The primary key, its direct signatures and every subkey with its bindings are kept byte for byte.
/// </summary>
internal static class CertificateMinimizer
{
    private const int UserIdTag = 13;
    private const int UserAttributeTag = 17;
    private const int TrustTag = 12;
    private const int PublicSubkeyTag = 14;

    public static byte[] ForAddress(Certificate certificate, string address)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var keep = certificate.UserIds
            .Where(u => u.Email is { } e && string.Equals(e, address, StringComparison.OrdinalIgnoreCase))
            .Select(u => u.Raw.ToArray())
            .ToList();
        ReadOnlySpan<byte> data = certificate.Encoded.Span;
        using var output = new MemoryStream(data.Length);
        bool keeping = true;
        int offset = 0;
        while (offset < data.Length)
        {
            (int tag, int headerLength, int bodyLength) = Header(data[offset..]);
            ReadOnlySpan<byte> packet = data.Slice(offset, headerLength + bodyLength);
            ReadOnlySpan<byte> body = packet[headerLength..];
            switch (tag)
            {
                case UserIdTag:
                    byte[] bodyBytes = body.ToArray();
                    keeping = keep.Any(k => k.AsSpan().SequenceEqual(bodyBytes));
                    break;
                case UserAttributeTag:
                    keeping = false;
                    break;
                case PublicSubkeyTag:
                    keeping = true;
                    break;
            }

            if (keeping && tag != TrustTag)
                output.Write(packet);
            offset += headerLength + bodyLength;
        }

        return output.ToArray();
    }

    // RFC 9580 section 4.2: OpenPGP (new) and legacy packet headers; partial lengths do not occur in keys.
    private static (int Tag, int HeaderLength, int BodyLength) Header(ReadOnlySpan<byte> data)
    {
        byte first = data[0];
        if ((first & 0x80) == 0)
            throw new OpenPgpFormatException("not a packet header");
        if ((first & 0x40) != 0)
        {
            int tag = first & 0x3F;
            byte l1 = data[1];
            if (l1 < 192)
                return (tag, 2, l1);
            if (l1 < 224)
                return (tag, 3, ((l1 - 192) << 8) + data[2] + 192);
            if (l1 == 255)
                return (tag, 6, (data[2] << 24) | (data[3] << 16) | (data[4] << 8) | data[5]);
            throw new OpenPgpFormatException("partial body length in a key");
        }

        int legacyTag = (first >> 2) & 0x0F;
        return (first & 3) switch
        {
            0 => (legacyTag, 2, data[1]),
            1 => (legacyTag, 3, (data[1] << 8) | data[2]),
            2 => (legacyTag, 5, (data[1] << 24) | (data[2] << 16) | (data[3] << 8) | data[4]),
            _ => throw new OpenPgpFormatException("indeterminate length in a key"),
        };
    }
}
