using Npgsql;

namespace Mailseal.Core.Configuration;

/// <summary>
/// Checks and splits the values of the shared names, the same way whether a value comes from
/// the file or from a flag. Each check returns null when the value is good, or one line saying
/// what is wrong (never echoing a database connection string, which may hold a password).
/// </summary>
public static class SharedValues
{
    private static readonly char[] ListSeparators = [',', ' ', '\t'];

    /// <summary>Checks <paramref name="value"/> for shared name <paramref name="name"/>; null when good.</summary>
    public static string? Validate(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        return name switch
        {
            ConfigurationNames.KeyDir => ValidateAbsolutePath(name, value),
            ConfigurationNames.SyslogSocket => ValidateAbsolutePath(name, value),
            ConfigurationNames.Database => ValidateDatabase(value),
            ConfigurationNames.LocalDomains => ValidateDomains(value),
            ConfigurationNames.RecipientDelimiter => ValidateDelimiter(value),
            _ => null,
        };
    }

    /// <summary>Splits a list value (comma and/or blank separated) into its items, empty items dropped.</summary>
    public static IReadOnlyList<string> SplitList(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The <c>local_domains</c> items in the one normal form (<see cref="Keys.DomainNames"/>: lower-case A-label), duplicates removed.</summary>
    public static IReadOnlyList<string> ParseDomains(string value) =>
        SplitList(value).Select(d => Keys.DomainNames.TryNormalize(d, out string? ascii, out _) ? ascii : d.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal).ToArray();

    private static string? ValidateAbsolutePath(string name, string value)
    {
        if (value.Length == 0)
        {
            return $"{name} must not be empty";
        }

        if (value.Any(char.IsControl))
        {
            return $"{name} contains a control character";
        }

        return value[0] == '/' ? null : $"{name} must be an absolute path, not \"{value}\"";
    }

    private static string? ValidateDatabase(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(value);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            // The value may hold a password: say what is wrong without repeating it.
            return "database is not a valid PostgreSQL connection string (Host=...;Database=...;Username=...)";
        }
    }

    private static string? ValidateDomains(string value)
    {
        foreach (string domain in SplitList(value))
        {
            if (domain.StartsWith('[') || !Keys.DomainNames.TryNormalize(domain, out _, out _))
            {
                return $"local_domains: \"{Printable(domain)}\" is not a domain name (U-label or A-label)";
            }
        }

        return null;
    }

    private static string? ValidateDelimiter(string value)
    {
        foreach (char c in value)
        {
            if (c is '@' or '/' or '.' or '\\' || char.IsWhiteSpace(c) || char.IsControl(c) || c > 0x7e)
            {
                return $"recipient_delimiter may not contain '{Printable(c.ToString())}' (printable ASCII other than @ / . \\ only)";
            }
        }

        return null;
    }

    /// <summary>True for an ASCII domain name: labels of letters, digits and hyphens, 1-63 each, 253 in all.</summary>
    public static bool IsDomainName(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (domain.Length is 0 or > 253)
        {
            return false;
        }

        foreach (string label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static string Printable(string s) =>
        string.Concat(s.Select(c => char.IsControl(c) ? "?" : c.ToString()));
}
