using System.Globalization;

namespace Mailseal.Core.OpenPgp;

/// <summary>Text helpers for certificates: email extraction from user ids, key ids and dates in messages.</summary>
internal static class CertificateText
{
    /// <summary>The addr-spec of a user id, lower-cased: the last "&lt;...&gt;" part, or the whole id when it is a bare address.</summary>
    public static string? ExtractEmail(string userId)
    {
        string candidate;
        int close = userId.LastIndexOf('>');
        int open = close > 0 ? userId.LastIndexOf('<', close - 1) : -1;
        if (open >= 0)
            candidate = userId[(open + 1)..close].Trim();
        else
            candidate = userId.Trim();
        return LooksLikeAddress(candidate) ? candidate.ToLowerInvariant() : null;
    }

    private static bool LooksLikeAddress(string s)
    {
        int at = s.LastIndexOf('@');
        if (at <= 0 || at == s.Length - 1 || s.Length > 320)
            return false;
        foreach (char c in s)
        {
            if (c <= ' ' || c is '<' or '>' or '(' or ')' or ',' or ';' or '\\' or '"' or '[' or ']' || c == 0x7F)
                return false;
        }

        string domain = s[(at + 1)..];
        return !domain.StartsWith('.') && !domain.EndsWith('.') && !domain.Contains("..", StringComparison.Ordinal);
    }

    public static string KeyId(PublicKeyPacket key) => "0x" + key.KeyIdHex;

    public static string Date(DateTimeOffset when) => when.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Reason(SignaturePacket revocation)
    {
        string code = revocation.RevocationCode switch
        {
            RevocationReason.Superseded => "key superseded",
            RevocationReason.Compromised => "key compromised",
            RevocationReason.Retired => "key retired",
            RevocationReason.UserIdInvalid => "user id no longer valid",
            null or RevocationReason.NoReason => "no reason given",
            { } other => $"reason {(int)other}",
        };
        string text = revocation.RevocationText is { Length: > 0 } t ? ": " + Printable(t) : "";
        return code + text;
    }

    /// <summary>Control characters replaced and length capped, so a hostile user id cannot forge log lines.</summary>
    public static string Printable(string s)
    {
        var chars = s.Length > 200 ? s[..200].ToCharArray() : s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]))
                chars[i] = '?';
        }

        return new string(chars);
    }
}
