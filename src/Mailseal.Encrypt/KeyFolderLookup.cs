using Mailseal.Core.OpenPgp;

namespace Mailseal.Encrypt;

/// <summary>
/// Finds a recipient's key in the key folder (DESIGN.md "Keys and accounts"):
/// <c>key_dir/&lt;lower-cased address&gt;.asc</c>, the address extension (<c>+tag</c>) removed,
/// opened by name (never by scanning the folder), read with Mailseal's certificate reader and
/// checked for a usable encryption key at this moment.
/// </summary>
internal sealed class KeyFolderLookup(string keyDir, IReadOnlyList<string> localDomains, string recipientDelimiter, TimeProvider time)
{
    /// <summary>Largest key file read (a certificate with many signatures is tens of KB); bounds memory on a planted file.</summary>
    public const int MaxKeyFileBytes = 1024 * 1024;

    public async Task<RecipientKey> LookupAsync(string address, CancellationToken ct)
    {
        var normalized = Normalize(address, recipientDelimiter);
        if (normalized is null)
            return new RecipientKey(address, IsLocal(address), null, "not a usable mail address");
        var path = Path.Combine(keyDir, normalized + ".asc");
        var local = IsLocal(normalized) || File.Exists(path);
        if (!local)
            return new RecipientKey(address, false, null, null);
        if (!File.Exists(path))
            return new RecipientKey(address, true, null, $"no key for <{normalized}> in {keyDir}");

        byte[] data;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true))
        {
            if (file.Length > MaxKeyFileBytes)
                return new RecipientKey(address, true, null, $"key file {path} is larger than {MaxKeyFileBytes} bytes");
            data = new byte[file.Length];
            await file.ReadExactlyAsync(data, ct).ConfigureAwait(false);
        }

        CertificateReadResult read;
        try
        {
            read = CertificateReader.Read(data);
        }
        catch (OpenPgpFormatException e)
        {
            return new RecipientKey(address, true, null, $"key file {path} is unreadable: {e.Message}");
        }

        string? reason = null;
        foreach (var certificate in read.Certificates)
        {
            var selection = certificate.SelectEncryptionKey(time.GetUtcNow());
            if (selection.IsUsable)
                return new RecipientKey(address, true, selection.Recipient, null);
            reason ??= $"key {certificate.FingerprintHex} for <{normalized}> is not usable: {selection.Reason}";
        }

        return new RecipientKey(address, true, null, reason ?? $"key file {path} holds no certificate");
    }

    private bool IsLocal(string address)
    {
        var at = address.LastIndexOf('@');
        if (at < 0)
            return false;
        var domain = address[(at + 1)..].TrimEnd('.');
        return localDomains.Any(d => string.Equals(d, domain, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Lower case, extension removed (<c>bob+lists@x</c> is <c>bob@x</c>); null for anything that
    /// cannot safely name a file (a slash, a NUL, a leading dot, no @).
    /// </summary>
    internal static string? Normalize(string address, string delimiters)
    {
        var a = address.Trim();
        if (a.StartsWith('<') && a.EndsWith('>'))
            a = a[1..^1];
        var at = a.LastIndexOf('@');
        if (at <= 0 || at == a.Length - 1 || a.Length > 254)
            return null;
        var local = a[..at];
        var domain = a[(at + 1)..];
        if (delimiters.Length > 0)
        {
            var cut = local.IndexOfAny(delimiters.ToCharArray());
            if (cut > 0)
                local = local[..cut];
        }

        var result = (local + "@" + domain).ToLowerInvariant();
        if (result.StartsWith('.') || result.Contains("..", StringComparison.Ordinal)
            || result.Any(c => c is '/' or '\\' or '\0' || char.IsControl(c)))
            return null;
        return result;
    }
}
