using System.Globalization;
using System.Text.RegularExpressions;

namespace Mailseal.Greyd;

/// <summary>
/// postgrey's recipient whitelist files (Debian: /etc/postgrey/whitelist_recipients), with
/// postgrey's rules (postfix access(5) style): <c>/regex/</c> matched case-insensitively against
/// the whole address; <c>user@domain</c> that address and its <c>user+ext@domain</c> forms;
/// <c>user@</c> that local part in any domain; <c>domain</c> the domain and its subdomains.
/// </summary>
public sealed class RecipientWhitelist
{
    private readonly List<Regex> _patterns = [];
    private readonly List<(string User, string? Domain)> _addresses = [];
    private readonly List<string> _domains = [];

    /// <summary>Entries loaded.</summary>
    public int Count => _patterns.Count + _addresses.Count + _domains.Count;

    /// <summary>Problems met while loading (postgrey warns and goes on).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Adds the entries of one file's text.</summary>
    public void Load(string path, string text) => WhitelistFile.Load(path, text, Add, Warnings, "doesn't look like an address");

    /// <summary>Adds one entry; false when postgrey would not understand it.</summary>
    public bool Add(string entry)
    {
        if (entry.Any(char.IsWhiteSpace))
            return false;
        if (WhitelistFile.TryAddRegex(entry, _patterns, out var valid))
            return valid;

        var at = entry.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
            _domains.Add(entry);
        else
            _addresses.Add((entry[..at], at + 1 < entry.Length ? entry[(at + 1)..] : null));
        return true;
    }

    /// <summary>True when mail to this recipient is never greylisted.</summary>
    public bool Contains(string recipient)
    {
        foreach (var domain in _domains)
        {
            if (recipient.EndsWith(domain, StringComparison.OrdinalIgnoreCase) && recipient.Length > domain.Length
                && recipient[recipient.Length - domain.Length - 1] is '@' or '.')
                return true;
        }

        if (_addresses.Count > 0)
        {
            var at = recipient.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0)
            {
                var local = recipient[..at];
                var domain = recipient[(at + 1)..];
                foreach (var (user, listed) in _addresses)
                {
                    if (listed is not null && !string.Equals(domain, listed, StringComparison.OrdinalIgnoreCase))
                        continue;
                    if (string.Equals(local, user, StringComparison.OrdinalIgnoreCase)
                        || (local.Length > user.Length + 1 && local.StartsWith(user + "+", StringComparison.OrdinalIgnoreCase)))
                        return true;
                }
            }
        }

        foreach (var pattern in _patterns)
        {
            try
            {
                if (pattern.IsMatch(recipient))
                    return true;
            }
            catch (RegexMatchTimeoutException)
            {
                // Not a match, never a stall.
            }
        }

        return false;
    }
}
