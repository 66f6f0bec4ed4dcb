using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Admin.Zone;

/// <summary>
/// The records a Mailseal mail domain needs, as zone-file lines with absolute names (so they
/// paste into any zone whatever its <c>$ORIGIN</c>): MX, the host's A/AAAA, SPF, DKIM, DMARC,
/// <c>openpgpkey.DOMAIN</c> for the Web Key Directory's advanced method, and one OPENPGPKEY
/// record (RFC 7929) per account key.
/// </summary>
internal static class ZoneBuilder
{
    public static IReadOnlyList<ZoneRecord> Build(ZoneSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        string domain = s.Domain + ".";
        string host = s.Host + ".";
        var records = new List<ZoneRecord>
        {
            new(domain, "MX", $"10 {host}", "mail for the domain goes to the mail host"),
        };
        foreach (IPAddress a in s.Addresses)
            records.Add(new(host, Family(a), a.ToString()));
        records.Add(new(domain, "TXT", TxtData.Quote(SpfText(s)), "SPF: only the MX hosts and these addresses send for the domain (RFC 7208)"));
        if (s.DkimSelector is { } selector)
        {
            records.Add(s.DkimKey is { } key
                ? new($"{selector}._domainkey.{domain}", "TXT", TxtData.Quote(key.RecordText), "DKIM public key (RFC 6376); strings of at most 255 bytes, joined by resolvers")
                : new($"{selector}._domainkey.{domain}", "TXT", TxtData.Quote("v=DKIM1; k=rsa; p=REPLACE_WITH_THE_PUBLIC_KEY"), "DKIM: a placeholder, commented out; give --dkim-key with opendkim-genkey's SELECTOR.txt or the key's PEM to print the real record", Placeholder: true));
        }

        records.Add(new($"_dmarc.{domain}", "TXT", TxtData.Quote(DmarcText(s)), "DMARC (RFC 7489): start with p=none, read the reports, then quarantine or reject"));
        if (s.WkdAdvanced)
        {
            foreach (IPAddress a in s.Addresses)
                records.Add(new($"openpgpkey.{domain}", Family(a), a.ToString(), a.Equals(s.Addresses[0]) ? "Web Key Directory, advanced method: serve wkd export's DIR/advanced here over HTTPS (a certificate for this name)" : null));
        }

        foreach ((string address, string fingerprint, byte[] key) in s.Keys)
            records.Add(new(OpenPgpKeyName.For(address) + ".", "OPENPGPKEY", Convert.ToBase64String(key), $"OPENPGPKEY (RFC 7929) of {address}, key {fingerprint}"));
        return records;
    }

    public static string SpfText(ZoneSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var sb = new StringBuilder("v=spf1 mx");
        foreach (IPAddress a in s.Addresses)
            sb.Append(a.AddressFamily == AddressFamily.InterNetwork ? " ip4:" : " ip6:").Append(a);
        return sb.Append(" -all").ToString();
    }

    public static string DmarcText(ZoneSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return "v=DMARC1; p=" + s.DmarcPolicy + (s.DmarcReport is { } rua ? "; rua=mailto:" + rua : string.Empty);
    }

    public static string Render(IReadOnlyList<ZoneRecord> records, uint ttl, string heading)
    {
        ArgumentNullException.ThrowIfNull(records);
        var sb = new StringBuilder();
        sb.Append("; ").Append(heading).Append('\n');
        foreach (ZoneRecord r in records)
        {
            if (r.Comment is { } comment)
                sb.Append("; ").Append(comment).Append('\n');
            if (r.Placeholder)
                sb.Append("; ");
            sb.Append(CultureInfo.InvariantCulture, $"{r.Name}\t{ttl}\tIN\t{r.Type}\t{r.Data}\n");
        }

        return sb.ToString();
    }

    private static string Family(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork ? "A" : "AAAA";
}
