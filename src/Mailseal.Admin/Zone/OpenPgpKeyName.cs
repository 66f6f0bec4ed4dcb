using System.Security.Cryptography;
using System.Text;

namespace Mailseal.Admin.Zone;

/// <summary>
/// The owner name of an address's OPENPGPKEY record (RFC 7929 section 3): the SHA2-256 hash of
/// the UTF-8 local part, cut to 28 octets and written in hex, then <c>_openpgpkey</c> and the
/// domain. The local part is hashed as stored (Mailseal stores addresses lower-case, which is
/// also what RFC 7929 section 3 suggests senders try).
/// </summary>
internal static class OpenPgpKeyName
{
    public static string For(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int at = address.LastIndexOf('@');
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(address[..at]));
        return Convert.ToHexStringLower(hash.AsSpan(0, 28)) + "._openpgpkey." + address[(at + 1)..];
    }
}
