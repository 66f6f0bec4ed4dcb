using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Mailseal.Core.Net;

namespace Mailseal.Greyd;

/// <summary>
/// postgrey's client whitelist files (Debian: /etc/postgrey/whitelist_clients and
/// whitelist_clients.local), read with postgrey's rules so the files load unchanged:
/// <c>#</c> comments and blank lines skipped; <c>/regex/</c> matched case-insensitively against
/// the client name; <c>a.b.c.d</c> or <c>a.b.c.d/m</c> an IPv4 address or network; <c>a.b.c</c>
/// a /24, <c>a.b</c> a /16 (postgrey's documented meaning; its code uses /24 there, a bug);
/// anything with two colons an IPv6 address or network; any other word a host name that
/// matches itself and its subdomains. Regexes run with a match timeout.
/// </summary>
public sealed class ClientWhitelist
{
    /// <summary>Longest whitelist file read.</summary>
    public const int MaxFileBytes = 4 << 20;

    /// <summary>Most time one regex may take on one client name.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    private readonly List<Regex> _patterns = [];
    private readonly List<string> _suffixes = [];
    private readonly List<AddressRange> _networks = [];

    /// <summary>Entries loaded (for the log line).</summary>
    public int Count => _patterns.Count + _suffixes.Count + _networks.Count;

    /// <summary>Problems met while loading (postgrey warns and goes on): file:line: reason.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Adds the entries of one file's text.</summary>
    public void Load(string path, string text) => WhitelistFile.Load(path, text, Add, Warnings, "doesn't look like a hostname");

    /// <summary>Adds one entry; false when it is not one postgrey understands.</summary>
    public bool Add(string entry)
    {
        if (WhitelistFile.TryAddRegex(entry, _patterns, out var valid))
            return valid;

        var dots = entry.Count(c => c == '.');
        var colons = entry.Count(c => c == ':');
        if (colons >= 2)
            return AddNetwork(entry, 128);
        if (entry.All(c => char.IsAsciiDigit(c) || c == '.' || c == '/') && char.IsAsciiDigit(entry[0]))
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var address = slash < 0 ? entry : entry[..slash];
            var parts = address.Split('.');
            if (parts.Length is < 2 or > 4 || parts.Any(p => p.Length is 0 or > 3))
                return false;
            if (parts.Length < 4)
            {
                if (slash >= 0)
                    return false;
                var full = string.Join('.', parts.Concat(Enumerable.Repeat("0", 4 - parts.Length)));
                return AddNetwork(full + "/" + (parts.Length * 8).ToString(CultureInfo.InvariantCulture), 32);
            }

            return AddNetwork(entry, 32);
        }

        if (entry.Any(char.IsWhiteSpace))
            return false;
        _suffixes.Add(entry);
        return true;
    }

    /// <summary>True when the client (its verified name or its address) is whitelisted.</summary>
    public bool Contains(string clientName, IPAddress client)
    {
        foreach (var suffix in _suffixes)
        {
            if (clientName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && (clientName.Length == suffix.Length || clientName[clientName.Length - suffix.Length - 1] == '.'))
                return true;
        }

        foreach (var pattern in _patterns)
        {
            try
            {
                if (pattern.IsMatch(clientName))
                    return true;
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological pattern: not a match, never a stall.
            }
        }

        if (_networks.Count == 0)
            return false;
        // Both sides in canonical form (an IPv4-mapped address as plain IPv4), so one family check suffices.
        var canonical = GreylistKeys.Canonical(client);
        foreach (var network in _networks)
        {
            if (network.Contains(canonical))
                return true;
        }

        return false;
    }

    private bool AddNetwork(string text, int maxPrefix)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address)
            || (maxPrefix == 32) != (address.AddressFamily == AddressFamily.InterNetwork))
            return false;
        var prefix = maxPrefix;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix))
            return false;
        // An IPv4-mapped IPv6 entry (::ffff:192.0.2.0/120) is the IPv4 network of its last bits;
        // host bits after the prefix are ignored (AddressRange clears them), as greyd always read them.
        var mapped = address.IsIPv4MappedToIPv6;
        address = GreylistKeys.Canonical(address);
        if (mapped && maxPrefix == 128)
            prefix = Math.Max(0, prefix - 96);
        _networks.Add(AddressRange.Create(address, prefix));
        return true;
    }
}
