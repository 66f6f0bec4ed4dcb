using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Mailseal.Admin.Accounts;
using Mailseal.Admin.Keys;
using Mailseal.Admin.Output;
using Mailseal.Admin.Zone;
using Mailseal.Core;
using Mailseal.Core.OpenPgp;
using Mailseal.Dns;

namespace Mailseal.Admin;

/// <summary><c>dns records</c> and <c>dns check</c>: the zone lines a Mailseal domain needs, and whether the world sees them.</summary>
internal sealed partial class AdminCommand
{
    private readonly Option<string> _domain = new("--domain") { Description = "The mail domain (the part after @).", HelpName = "DOMAIN", Required = true };
    private readonly Option<string> _host = new("--host") { Description = "The mail host the MX names (default mail.DOMAIN).", HelpName = "HOST" };
    private readonly Option<string[]> _ip = new("--ip") { Description = "An IPv4 (or IPv6) address of the mail host; repeatable.", HelpName = "ADDRESS" };
    private readonly Option<string[]> _ipv6 = new("--ipv6") { Description = "An IPv6 address of the mail host; repeatable.", HelpName = "ADDRESS" };
    private readonly Option<int> _ttl = new("--ttl") { Description = "TTL of the printed records, seconds.", HelpName = "SECONDS", DefaultValueFactory = _ => 3600 };
    private readonly Option<string> _dkimSelector = new("--dkim-selector") { Description = "DKIM selector (opendkim-genkey -s; the tutorial's is 'default').", HelpName = "SELECTOR" };
    private readonly Option<string> _dkimKey = new("--dkim-key") { Description = "DKIM key: opendkim-genkey's SELECTOR.txt, or the PEM public or private key (only its public half is used).", HelpName = "FILE" };
    private readonly Option<string> _dmarcPolicy = new("--dmarc-policy") { Description = "DMARC p=: none (default: watch the reports first), quarantine or reject.", HelpName = "POLICY", DefaultValueFactory = _ => "none" };
    private readonly Option<string> _dmarcReport = new("--dmarc-report") { Description = "Address for DMARC aggregate reports (rua); default postmaster@DOMAIN.", HelpName = "ADDRESS" };
    private readonly Option<string> _wkd = new("--wkd") { Description = "Web Key Directory method: advanced (publish openpgpkey.DOMAIN, serve wkd export's DIR/advanced there) or direct (keys served from https://DOMAIN/).", HelpName = "METHOD", DefaultValueFactory = _ => "advanced" };
    private readonly Option<string[]> _dnsServer = new("--dns-server") { Description = "Resolver to ask, IP or IP:PORT; repeatable (default: /etc/resolv.conf's).", HelpName = "ADDRESS" };

    private Command CreateDns()
    {
        _dmarcPolicy.AcceptOnlyFromAmong("none", "quarantine", "reject");
        _wkd.AcceptOnlyFromAmong("advanced", "direct");
        _ttl.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 60 or > 604800)
                r.AddError("--ttl must be 60 to 604800 seconds");
        });
        var dns = new Command("dns", "The DNS records a Mailseal domain needs (MX, SPF, DKIM, DMARC, WKD, OPENPGPKEY), printed or checked.");
        var records = new Command("records", "Print the domain's records as zone-file lines: MX, the host's A/AAAA, SPF, DKIM, DMARC, openpgpkey.DOMAIN and an OPENPGPKEY record per account key.")
        {
            _domain, _host, _ip, _ipv6, _ttl, _dkimSelector, _dkimKey, _dmarcPolicy, _dmarcReport, _wkd, _store,
        };
        records.SetAction((p, ct) => DnsRecordsAsync(p, ct));
        var check = new Command("check", "Resolve the domain's records and print, per record, ok, MISSING or WRONG and why; exit 1 when one is missing or wrong, 75 when a lookup failed.")
        {
            _domain, _host, _ip, _ipv6, _dkimSelector, _dkimKey, _wkd, _dnsServer, _store,
        };
        check.SetAction((p, ct) => DnsCheckAsync(p, ct));
        dns.Subcommands.Add(records);
        dns.Subcommands.Add(check);
        return dns;
    }

    private async Task<int> DnsRecordsAsync(ParseResult p, CancellationToken ct)
    {
        (ZoneSettings settings, List<string> notes) = await ZoneSettingsAsync(p, forCheck: false, ct).ConfigureAwait(false);
        if (settings.Addresses.Count == 0)
            throw AccountStore.Refused("give the mail host's address with --ip (and --ipv6)");
        IReadOnlyList<ZoneRecord> list = ZoneBuilder.Build(settings);
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteObjectsAsync(_context.Out, list, (w, r) =>
            {
                w.WriteString("name", r.Name);
                w.WriteNumber("ttl", settings.Ttl);
                w.WriteString("type", r.Type);
                w.WriteString("data", r.Data);
                w.WriteBoolean("placeholder", r.Placeholder);
            }, ct).ConfigureAwait(false);
        }
        else
        {
            await _context.Out.WriteAsync(ZoneBuilder.Render(list, settings.Ttl, $"{settings.Domain}: records for a Mailseal mail domain (mailseal-admin dns records); absolute names, paste into the zone")).ConfigureAwait(false);
            foreach (string note in notes)
                await _context.Out.WriteLineAsync("; " + note).ConfigureAwait(false);
        }

        foreach (string note in notes)
            await _context.Error.WriteLineAsync($"{AdminProgram.ToolName}: {note}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> DnsCheckAsync(ParseResult p, CancellationToken ct)
    {
        StubResolverOptions options = p.GetValue(_dnsServer) is { Length: > 0 } servers
            ? new StubResolverOptions { Servers = servers.Select(ParseServer).ToList(), CacheMaxEntries = 0 }
            : StubResolverOptions.FromResolvConf();
        (ZoneSettings settings, List<string> notes) = await ZoneSettingsAsync(p, forCheck: true, ct).ConfigureAwait(false);
        using var resolver = new StubResolver(options);
        IReadOnlyList<DnsFinding> findings = await new DnsChecker(resolver).CheckAsync(settings, hostGiven: p.GetValue(_host) is not null, ct).ConfigureAwait(false);
        foreach (string note in notes)
            await _context.Error.WriteLineAsync($"{AdminProgram.ToolName}: {note}").ConfigureAwait(false);
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteObjectsAsync(_context.Out, findings, (w, f) =>
            {
                w.WriteString("check", f.Check);
                w.WriteString("name", f.Name);
                w.WriteString("status", f.Status.ToString().ToLowerInvariant());
                w.WriteString("detail", f.Detail);
            }, ct).ConfigureAwait(false);
        }
        else
        {
            var table = new TextTable("CHECK", "NAME", "STATUS", "DETAIL");
            foreach (DnsFinding f in findings)
                table.Add(f.Check, f.Name, f.StatusText, f.Detail);
            await _context.Out.WriteAsync(table.Render()).ConfigureAwait(false);
        }

        return findings.Any(f => f.Status is DnsFindingStatus.Missing or DnsFindingStatus.Wrong) ? 1
            : findings.Any(f => f.Status == DnsFindingStatus.Unknown) ? ExitCodes.TempFail
            : ExitCodes.Ok;
    }

    private async Task<(ZoneSettings Settings, List<string> Notes)> ZoneSettingsAsync(ParseResult p, bool forCheck, CancellationToken ct)
    {
        string domain = ParseDomain(p.GetValue(_domain)!, "--domain");
        string host = p.GetValue(_host) is { } h ? ParseDomain(h, "--host") : "mail." + domain;
        var addresses = new List<IPAddress>();
        foreach (string raw in (p.GetValue(_ip) ?? []).Concat(p.GetValue(_ipv6) ?? []))
        {
            if (!IPAddress.TryParse(raw, out IPAddress? ip) || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) || raw.Contains('%', StringComparison.Ordinal))
                throw AccountStore.Refused($"'{TextTable.Safe(raw)}' is not an IPv4 or IPv6 address");
            if (!addresses.Contains(ip))
                addresses.Add(ip);
        }

        string? selector = p.GetValue(_dkimSelector);
        if (selector is not null && (selector.Length is 0 or > 63 || !selector.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || selector.StartsWith('.') || selector.EndsWith('.') || selector.Contains("..", StringComparison.Ordinal)))
            throw AccountStore.Refused($"'{TextTable.Safe(selector)}' is not a DKIM selector (letters, digits, - and _, dot-separated)");
        DkimKey? dkim = null;
        if (p.GetValue(_dkimKey) is { } keyFile)
        {
            if (selector is null)
                throw AccountStore.Refused("--dkim-key needs --dkim-selector");
            try
            {
                dkim = DkimKey.Read(keyFile);
            }
            catch (FormatException e)
            {
                throw AccountStore.Refused(TextTable.Safe(e.Message));
            }
        }

        string? report = null;
        if (!forCheck)
            report = p.GetValue(_dmarcReport) is { } r ? ParseAddress(r) : "postmaster@" + domain;
        var notes = new List<string>();
        var keys = await DomainKeysAsync(p, domain, notes, ct).ConfigureAwait(false);
        var settings = new ZoneSettings
        {
            Domain = domain,
            Host = host,
            Addresses = addresses,
            Ttl = (uint)p.GetValue(_ttl),
            DkimSelector = selector,
            DkimKey = dkim,
            DmarcPolicy = p.GetValue(_dmarcPolicy) ?? "none",
            DmarcReport = report,
            WkdAdvanced = p.GetValue(_wkd) != "direct",
            Keys = keys,
        };
        return (settings, notes);
    }

    /// <summary>The usable keys of the domain's addresses, minimised as WKD and RFC 7929 want them; what is skipped goes to <paramref name="notes"/>.</summary>
    private async Task<List<(string Address, string Fingerprint, byte[] Key)>> DomainKeysAsync(ParseResult p, string domain, List<string> notes, CancellationToken ct)
    {
        var keys = new List<(string, string, byte[])>();
        if (!UseDatabase(p) && !Directory.Exists(p.GetValue(_keyDir)))
        {
            notes.Add($"no database and no key folder {p.GetValue(_keyDir)}: no OPENPGPKEY records");
            return keys;
        }

        DateTimeOffset now = _time.GetUtcNow();
        foreach ((string address, string text) in await AllKeysAsync(p, ct).ConfigureAwait(false))
        {
            if (!AccountAddress.TryParse(address, out string? email, out _) || !email.EndsWith("@" + domain, StringComparison.Ordinal))
                continue;
            try
            {
                Certificate c = KeyCheck.Accept(System.Text.Encoding.UTF8.GetBytes(text), email, now, allowOtherAddress: false);
                keys.Add((email, c.FingerprintHex, Wkd.CertificateMinimizer.ForAddress(c, email)));
            }
            catch (FormatException e)
            {
                notes.Add($"no OPENPGPKEY for {email}: {TextTable.Safe(e.Message)}");
            }
        }

        return keys;
    }

    private static string ParseDomain(string raw, string option)
    {
        // The domain of an address is validated and put in A-label form the same way as an account's.
        if (raw.EndsWith('.'))
            raw = raw[..^1];
        if (!AccountAddress.TryParse("postmaster@" + raw, out string? address, out string? error) || !address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..].Contains('.', StringComparison.Ordinal))
            throw AccountStore.Refused($"{option} '{TextTable.Safe(raw)}' is not a domain name{(error is null ? " (no dot)" : ": " + TextTable.Safe(error))}");
        return address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..];
    }

    private static IPEndPoint ParseServer(string raw)
    {
        if (IPAddress.TryParse(raw, out IPAddress? ip))
            return new IPEndPoint(ip, 53);
        if (IPEndPoint.TryParse(raw, out IPEndPoint? endpoint) && endpoint.Port != 0)
            return endpoint;
        throw AccountStore.Refused($"--dns-server '{TextTable.Safe(raw)}' is not IP or IP:PORT");
    }
}
