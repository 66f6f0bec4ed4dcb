using System.Security.Cryptography;
using System.Text;

namespace Mailseal.Admin.Wkd;

/// <summary>
/// The Web Key Directory file name of an address (draft-koch-openpgp-webkey-service section 3.1):
/// the local part mapped to lower case (ASCII only, as the draft says), hashed with SHA-1, and
/// encoded in z-base-32 (RFC 6189 section 5.1.6), 32 characters. What
/// <c>gpg-wks-client --print-wkd-hash</c> prints.
/// </summary>
public static class WkdHash
{
    private const string Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";

    /// <summary>The hashed local part of <paramref name="address"/>.</summary>
    public static string Of(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int at = address.LastIndexOf('@');
        string local = at < 0 ? address : address[..at];
        var lower = new StringBuilder(local.Length);
        foreach (char c in local)
            lower.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
        return ZBase32(SHA1.HashData(Encoding.UTF8.GetBytes(lower.ToString())));
    }

    /// <summary>z-base-32 of <paramref name="data"/>, 5 bits per character, most significant first.</summary>
    internal static string ZBase32(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(((data.Length * 8) + 4) / 5);
        int buffer = 0;
        int bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
            sb.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        return sb.ToString();
    }
}
