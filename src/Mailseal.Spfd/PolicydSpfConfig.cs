namespace Mailseal.Spfd;

/// <summary>
/// Reads a postfix-policyd-spf-python configuration file (policyd-spf.conf(5): <c>Name = value</c>
/// lines, <c>#</c> comments) and turns it into mailseal-spfd flags, so an existing file works
/// unchanged: <c>HELO_reject = Fail</c> becomes <c>--helo-reject Fail</c>. Names that only make
/// sense for policyd-spf's milter or features mailseal-spfd does not have are accepted and
/// reported as ignored; an unknown name is an error, as in a mailseal.conf.
/// </summary>
internal static class PolicydSpfConfig
{
    /// <summary>Longest file read (policyd-spf.conf files are a few KiB).</summary>
    public const int MaxFileBytes = 1 << 20;

    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["debugLevel"] = "debug_level",
        ["TestOnly"] = "test_only",
        ["defaultSeedOnly"] = "test_only",
        ["HELO_reject"] = "helo_reject",
        ["Mail_From_reject"] = "mail_from_reject",
        ["PermError_reject"] = "permerror_reject",
        ["TempError_Defer"] = "temperror_defer",
        ["skip_addresses"] = "skip_addresses",
        ["Whitelist"] = "whitelist",
        ["HELO_Whitelist"] = "helo_whitelist",
        ["Domain_Whitelist"] = "domain_whitelist",
        ["Domain_Whitelist_PTR"] = "domain_whitelist_ptr",
        ["Reject_Not_Pass_Domains"] = "reject_not_pass_domains",
        ["Header_Type"] = "header_type",
        ["Authserv_Id"] = "authserv_id",
        ["Hide_Receiver"] = "hide_receiver",
        ["Lookup_Time"] = "lookup_time",
        ["Whitelist_Lookup_Time"] = "whitelist_lookup_time",
        ["Void_Limit"] = "void_limit",
        ["Reason_Message"] = "reason_message",
        ["Prospective"] = "prospective",
        ["SPF_Enhanced_Status_Codes"] = "spf_enhanced_status_codes",
    };

    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "HELO_pass_restriction", "Mail_From_pass_restriction", "No_Mail", "Mock", "QueueID",
        "Socket", "PidFile", "UserID", "UMask", "InternalHosts", "IntHosts", "MacroList",
    };

    /// <summary>
    /// True when the text is a policyd-spf.conf: no <c>[section]</c> line and at least one
    /// policyd-spf name (a mailseal.conf uses lower-case names and sections).
    /// </summary>
    public static bool IsPolicydSpfConfig(string text)
    {
        var sawPolicydName = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '[')
                return false;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var name = line[..eq].Trim();
                if ((Names.ContainsKey(name) || Ignored.Contains(name)) && !string.Equals(name, "skip_addresses", StringComparison.Ordinal))
                    sawPolicydName = true;
            }
        }

        return sawPolicydName;
    }

    /// <summary>Reads a file whole, bounded; throws <see cref="IOException"/> with the path.</summary>
    public static string ReadFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new IOException($"{path}: no such configuration file");
        if (info.Length > MaxFileBytes)
            throw new IOException($"{path}: larger than {MaxFileBytes} bytes");
        return File.ReadAllText(path);
    }

    /// <summary>
    /// The (name, value) pairs of a policyd-spf.conf in mailseal-spfd's vocabulary, and the
    /// names it ignores. A later line wins over an earlier one, as in policyd-spf.
    /// Throws <see cref="FormatException"/> naming the file and line for a malformed line or an unknown name.
    /// </summary>
    public static (IReadOnlyDictionary<string, string> Values, IReadOnlyList<string> IgnoredNames) Translate(string path, string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var ignored = new List<string>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new FormatException($"{path}:{lineNumber}: expected 'Name = value'");
            var name = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (Names.TryGetValue(name, out var ours))
                values[ours] = value;
            else if (Ignored.Contains(name))
                ignored.Add(name);
            else
                throw new FormatException($"{path}:{lineNumber}: unknown policyd-spf name \"{name}\"");
        }

        return (values, ignored);
    }
}
