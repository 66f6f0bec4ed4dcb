using System.Net;
using Mailseal.Core.OpenPgp;
using Mailseal.Dns;
using Mailseal.Dns.Spf;

namespace Mailseal.Admin.Zone;

/// <summary>
/// Resolves what <see cref="ZoneBuilder"/> would publish and says, per record, whether it is
/// present and right, missing, or wrong and why. It asks a real resolver the way a sending mail
/// server would (MX, the MX hosts' addresses, SPF evaluated for each of them with the same
/// evaluator mailseal-spfd uses), and the way a sender's OpenPGP client would (OPENPGPKEY, the
/// WKD host). A lookup that fails (timeout, SERVFAIL) is reported as unknown, never as missing.
/// </summary>
internal sealed class DnsChecker
{
    private readonly IDnsResolver _resolver;

    public DnsChecker(IDnsResolver resolver) => _resolver = resolver;

    /// <param name="s">What to expect; <see cref="ZoneSettings.Addresses"/> may be empty (then the MX hosts' own addresses are used).</param>
    /// <param name="hostGiven">True when the admin named the mail host: the MX must then point at it.</param>
    /// <param name="ct">Cancels the checks.</param>
    public async Task<IReadOnlyList<DnsFinding>> CheckAsync(ZoneSettings s, bool hostGiven, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(s);
        var findings = new List<DnsFinding>();
        string domain = s.Domain;

        // MX
        List<string> hosts = [];
        DnsAnswer mx = await _resolver.QueryAsync(domain, DnsRecordType.Mx, ct).ConfigureAwait(false);
        if (mx.IsTemporaryFailure)
        {
            findings.Add(new("MX", domain, DnsFindingStatus.Unknown, "lookup failed: " + mx.Status));
        }
        else if (mx.IsEmpty)
        {
            findings.Add(new("MX", domain, DnsFindingStatus.Missing, "no MX record: senders fall back to the domain's own address, or give up"));
        }
        else if (mx.Records.Any(r => string.IsNullOrEmpty(r.Exchange) || r.Exchange == "."))
        {
            findings.Add(new("MX", domain, DnsFindingStatus.Wrong, "a null MX (RFC 7505): the domain says it accepts no mail"));
        }
        else
        {
            hosts = mx.Records.OrderBy(r => r.Preference).Select(r => r.Exchange!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            string shown = string.Join(", ", mx.Records.OrderBy(r => r.Preference).Select(r => $"{r.Preference} {r.Exchange}"));
            findings.Add(hostGiven && !hosts.Contains(s.Host, StringComparer.OrdinalIgnoreCase)
                ? new("MX", domain, DnsFindingStatus.Wrong, $"MX is {shown}, not {s.Host}")
                : new("MX", domain, DnsFindingStatus.Ok, shown));
        }

        if (hostGiven && !hosts.Contains(s.Host, StringComparer.OrdinalIgnoreCase))
            hosts.Insert(0, s.Host);

        // The mail hosts' addresses
        var hostAddresses = new List<(string Host, IPAddress Address)>();
        foreach (string host in hosts)
        {
            var found = new List<IPAddress>();
            bool failed = false;
            foreach (DnsRecordType type in new[] { DnsRecordType.A, DnsRecordType.Aaaa })
            {
                DnsAnswer a = await _resolver.QueryAsync(host, type, ct).ConfigureAwait(false);
                if (a.IsTemporaryFailure)
                {
                    failed = true;
                    findings.Add(new(type == DnsRecordType.A ? "A" : "AAAA", host, DnsFindingStatus.Unknown, "lookup failed: " + a.Status));
                }
                else
                {
                    found.AddRange(a.Records.Where(r => r.Address is not null).Select(r => r.Address!));
                }
            }

            hostAddresses.AddRange(found.Select(a => (host, a)));
            if (failed)
                continue;
            if (found.Count == 0)
            {
                findings.Add(new("A/AAAA", host, DnsFindingStatus.Missing, $"the mail host {host} has no A or AAAA record"));
                continue;
            }

            var absent = s.Addresses.Where(want => !found.Contains(want)).ToList();
            findings.Add(absent.Count > 0 && string.Equals(host, s.Host, StringComparison.OrdinalIgnoreCase)
                ? new("A/AAAA", host, DnsFindingStatus.Wrong, $"{host} has {string.Join(", ", found)}, not {string.Join(", ", absent)}")
                : new("A/AAAA", host, DnsFindingStatus.Ok, string.Join(", ", found)));
        }

        await CheckSpfAsync(s, hostAddresses, findings, ct).ConfigureAwait(false);
        await CheckDkimAsync(s, findings, ct).ConfigureAwait(false);
        await CheckDmarcAsync(s, findings, ct).ConfigureAwait(false);
        if (s.WkdAdvanced)
            await CheckWkdHostAsync(s, findings, ct).ConfigureAwait(false);
        foreach ((string address, string fingerprint, byte[] _) in s.Keys)
            await CheckOpenPgpKeyAsync(address, fingerprint, findings, ct).ConfigureAwait(false);
        return findings;
    }

    private async Task CheckSpfAsync(ZoneSettings s, List<(string Host, IPAddress Address)> hostAddresses, List<DnsFinding> findings, CancellationToken ct)
    {
        string domain = s.Domain;
        DnsAnswer txt = await _resolver.QueryAsync(domain, DnsRecordType.Txt, ct).ConfigureAwait(false);
        if (Failed(txt, "SPF", domain, findings))
            return;
        var spf = txt.Records.Where(r => IsTagged(r.Text, "v=spf1")).ToList();
        if (spf.Count == 0)
        {
            findings.Add(new("SPF", domain, DnsFindingStatus.Missing, "no TXT record starting with v=spf1"));
            return;
        }

        if (spf.Count > 1)
        {
            findings.Add(new("SPF", domain, DnsFindingStatus.Wrong, $"{spf.Count} SPF records: receivers treat that as permerror (RFC 7208 4.5); keep one"));
            return;
        }

        // Every address the mail goes out from must pass: the given ones, and the MX hosts' own.
        var senders = s.Addresses.Select(a => (Host: s.Host, Address: a)).Concat(hostAddresses)
            .DistinctBy(x => x.Address).ToList();
        if (senders.Count == 0)
        {
            findings.Add(new("SPF", domain, DnsFindingStatus.Skipped, "no mail host address known to evaluate it for (give --ip)"));
            return;
        }

        var evaluator = new SpfEvaluator(_resolver);
        var problems = new List<string>();
        bool unknown = false;
        foreach ((string host, IPAddress address) in senders)
        {
            SpfResult result = await evaluator.CheckHostAsync(address, domain, "postmaster@" + domain, host, ct).ConfigureAwait(false);
            if (result.Code == SpfResultCode.Pass)
                continue;
            unknown |= result.Code == SpfResultCode.TempError;
            problems.Add($"{address} ({host}) gets {result.CodeName}" + (result.Problem is { } p ? ": " + p : string.Empty));
        }

        findings.Add(problems.Count == 0
            ? new("SPF", domain, DnsFindingStatus.Ok, $"\"{spf[0].Text}\" passes {string.Join(", ", senders.Select(x => x.Address))}")
            : new("SPF", domain, unknown ? DnsFindingStatus.Unknown : DnsFindingStatus.Wrong, string.Join("; ", problems) + $" (record \"{spf[0].Text}\")"));
    }

    private async Task CheckDkimAsync(ZoneSettings s, List<DnsFinding> findings, CancellationToken ct)
    {
        if (s.DkimSelector is not { } selector)
        {
            findings.Add(new("DKIM", "SELECTOR._domainkey." + s.Domain, DnsFindingStatus.Skipped, "give --dkim-selector (and --dkim-key) to check the DKIM key"));
            return;
        }

        string name = $"{selector}._domainkey.{s.Domain}";
        DnsAnswer txt = await _resolver.QueryAsync(name, DnsRecordType.Txt, ct).ConfigureAwait(false);
        if (Failed(txt, "DKIM", name, findings))
            return;
        if (txt.IsEmpty)
        {
            findings.Add(new("DKIM", name, DnsFindingStatus.Missing, "no DKIM key record: signatures with this selector cannot be verified"));
            return;
        }

        if (txt.Records.Count > 1)
        {
            findings.Add(new("DKIM", name, DnsFindingStatus.Wrong, $"{txt.Records.Count} TXT records: verifiers may pick either (RFC 6376 3.6.2.2); keep one"));
            return;
        }

        string text = txt.Records[0].Text ?? string.Empty;
        Dictionary<string, string>? tags = TxtData.Tags(text);
        string? problem = tags is null ? "not a tag=value list"
            : tags.TryGetValue("v", out string? v) && !string.Equals(v, "DKIM1", StringComparison.Ordinal) ? $"v={v}, not DKIM1"
            : !tags.TryGetValue("p", out string? p) ? "no p= tag"
            : p.Length == 0 ? "p= is empty: the key is revoked"
            : !IsBase64(p) ? "p= is not base64 (a broken split of a long key?)"
            : s.DkimKey is { } key && !string.Equals(p, key.PublicKey, StringComparison.Ordinal) ? "p= is another key than the one given with --dkim-key"
            : null;
        findings.Add(problem is null
            ? new("DKIM", name, DnsFindingStatus.Ok, s.DkimKey is null ? "a key is published (give --dkim-key to compare it)" : "the key given with --dkim-key is published")
            : new("DKIM", name, DnsFindingStatus.Wrong, problem));
    }

    private async Task CheckDmarcAsync(ZoneSettings s, List<DnsFinding> findings, CancellationToken ct)
    {
        string name = "_dmarc." + s.Domain;
        DnsAnswer txt = await _resolver.QueryAsync(name, DnsRecordType.Txt, ct).ConfigureAwait(false);
        if (Failed(txt, "DMARC", name, findings))
            return;
        var dmarc = txt.Records.Where(r => r.Text is { } t && t.StartsWith("v=DMARC1", StringComparison.Ordinal)).ToList();
        if (dmarc.Count == 0)
        {
            findings.Add(new("DMARC", name, DnsFindingStatus.Missing, txt.Records.Count > 0
                ? "a TXT record is there but does not start with v=DMARC1 (the tutorial's \"v=DMARC1\" on the domain itself is not read)"
                : "no DMARC record"));
            return;
        }

        if (dmarc.Count > 1)
        {
            findings.Add(new("DMARC", name, DnsFindingStatus.Wrong, $"{dmarc.Count} DMARC records: receivers then apply none (RFC 7489 6.6.3); keep one"));
            return;
        }

        string text = dmarc[0].Text!;
        Dictionary<string, string>? tags = TxtData.Tags(text);
        string? problem = tags is null ? "not a tag=value list"
            : !tags.TryGetValue("p", out string? p) ? "no p= tag (RFC 7489 requires it)"
            : p is not ("none" or "quarantine" or "reject") ? $"p={p} is not none, quarantine or reject"
            : null;
        findings.Add(problem is null
            ? new("DMARC", name, DnsFindingStatus.Ok, text)
            : new("DMARC", name, DnsFindingStatus.Wrong, $"{problem} (record \"{text}\")"));
    }

    private async Task CheckWkdHostAsync(ZoneSettings s, List<DnsFinding> findings, CancellationToken ct)
    {
        string name = "openpgpkey." + s.Domain;
        DnsAnswer a = await _resolver.QueryAsync(name, DnsRecordType.A, ct).ConfigureAwait(false);
        DnsAnswer aaaa = await _resolver.QueryAsync(name, DnsRecordType.Aaaa, ct).ConfigureAwait(false);
        if (a.IsTemporaryFailure || aaaa.IsTemporaryFailure)
        {
            findings.Add(new("WKD", name, DnsFindingStatus.Unknown, "lookup failed: " + (a.IsTemporaryFailure ? a.Status : aaaa.Status)));
            return;
        }

        var found = a.Records.Concat(aaaa.Records).Select(r => r.Address!).ToList();
        findings.Add(found.Count == 0
            ? new("WKD", name, DnsFindingStatus.Missing, "does not resolve: GnuPG and Thunderbird skip the advanced method (give --wkd direct if the keys are served from https://DOMAIN/ instead)")
            : new("WKD", name, DnsFindingStatus.Ok, string.Join(", ", found)));
    }

    private async Task CheckOpenPgpKeyAsync(string address, string fingerprint, List<DnsFinding> findings, CancellationToken ct)
    {
        string name = OpenPgpKeyName.For(address);
        string check = "OPENPGPKEY " + address;
        DnsAnswer answer = await _resolver.QueryAsync(name, DnsRecordType.OpenPgpKey, ct).ConfigureAwait(false);
        if (Failed(answer, check, name, findings))
            return;
        if (answer.IsEmpty)
        {
            findings.Add(new(check, name, DnsFindingStatus.Missing, $"no OPENPGPKEY record for the account's key {fingerprint}"));
            return;
        }

        var published = new List<string>();
        foreach (DnsRecord r in answer.Records)
        {
            try
            {
                published.AddRange(CertificateReader.Read(r.Data.Span).Certificates.Select(c => c.FingerprintHex));
            }
            catch (OpenPgpFormatException e)
            {
                findings.Add(new(check, name, DnsFindingStatus.Wrong, "the record is not an OpenPGP key: " + e.Message));
                return;
            }
        }

        findings.Add(published.Contains(fingerprint, StringComparer.OrdinalIgnoreCase)
            ? new(check, name, DnsFindingStatus.Ok, "key " + fingerprint)
            : new(check, name, DnsFindingStatus.Wrong, $"publishes key {string.Join(", ", published)}, the account's key is {fingerprint} (rotated? run dns records again)"));
    }

    private static bool Failed(DnsAnswer answer, string check, string name, List<DnsFinding> findings)
    {
        if (!answer.IsTemporaryFailure)
            return false;
        findings.Add(new(check, name, DnsFindingStatus.Unknown, "lookup failed: " + answer.Status));
        return true;
    }

    private static bool IsTagged(string? text, string version) =>
        text is not null && text.StartsWith(version, StringComparison.OrdinalIgnoreCase) && (text.Length == version.Length || text[version.Length] == ' ');

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }
}
