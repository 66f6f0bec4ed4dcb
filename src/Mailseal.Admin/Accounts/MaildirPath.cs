using System.Globalization;
using System.Text;

namespace Mailseal.Admin.Accounts;

/// <summary>
/// The mailbox path of an account, relative to the mail root (users.maildir; Dovecot's
/// user_query prefixes the root): <c>DOMAIN/LOCAL/</c>. The address is already normalised by
/// <see cref="AccountAddress"/>, so the domain holds only letters, digits, hyphens and dots
/// between labels. The local part keeps <c>a-z 0-9 . _ -</c> (a dot never first) and writes
/// every other byte as <c>=XX</c> (<c>=</c> itself too), so <c>/</c>, <c>..</c>, <c>%</c>,
/// <c>~</c> or quotes never reach the path, and two addresses never share a folder.
/// </summary>
public static class MaildirPath
{
    /// <summary>The relative maildir of the normalised <paramref name="address"/>.</summary>
    public static string For(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int at = address.LastIndexOf('@');
        if (at <= 0)
            throw new ArgumentException("not a normalised address", nameof(address));
        string domain = address[(at + 1)..];
        foreach (char c in domain)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
                throw new ArgumentException("not a normalised domain", nameof(address));
        }

        if (domain.StartsWith('.') || domain.Contains("..", StringComparison.Ordinal))
            throw new ArgumentException("not a normalised domain", nameof(address));

        var local = new StringBuilder();
        byte[] bytes = Encoding.UTF8.GetBytes(address[..at]);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            bool keep = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'-'
                || (b == (byte)'.' && i > 0);
            if (keep)
                local.Append((char)b);
            else
                local.Append('=').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return domain + "/" + local + "/";
    }
}
