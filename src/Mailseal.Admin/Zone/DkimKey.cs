using System.Security.Cryptography;
using System.Text;

namespace Mailseal.Admin.Zone;

/// <summary>
/// The public half of a DKIM signing key as its TXT record carries it (RFC 6376 3.6.1: <c>k=</c>
/// and <c>p=</c>), read from what an admin has at hand: opendkim-genkey's <c>SELECTOR.txt</c>
/// (or any text holding the record), a PEM public key, or the PEM private key the signer uses
/// (only its public half is kept; nothing of the private key is printed).
/// RSA keys are written as the DER SubjectPublicKeyInfo (what opendkim and RFC 6376 use);
/// Ed25519 keys as the bare 32-byte key (RFC 8463).
/// </summary>
internal sealed class DkimKey
{
    public const int MaxFileBytes = 64 * 1024;

    // SubjectPublicKeyInfo of an Ed25519 key: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }.
    private static readonly byte[] Ed25519SpkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    private DkimKey(string keyType, string publicKey)
    {
        KeyType = keyType;
        PublicKey = publicKey;
    }

    /// <summary><c>rsa</c> or <c>ed25519</c>.</summary>
    public string KeyType { get; }

    /// <summary>The base64 <c>p=</c> value.</summary>
    public string PublicKey { get; }

    /// <summary>The TXT record text.</summary>
    public string RecordText => $"v=DKIM1; k={KeyType}; p={PublicKey}";

    /// <summary>Reads a key file; <see cref="FormatException"/> with the reason when it holds no DKIM key.</summary>
    public static DkimKey Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FormatException($"no DKIM key file {path}");
        if (info.Length > MaxFileBytes)
            throw new FormatException($"the DKIM key file {path} is larger than {MaxFileBytes} bytes");
        return Parse(File.ReadAllText(path));
    }

    /// <summary>Reads the key from the text of a key file (see the class summary).</summary>
    public static DkimKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains("-----BEGIN ", StringComparison.Ordinal))
            return FromPem(text);
        return FromRecordText(text);
    }

    private static DkimKey FromPem(string text)
    {
        if (!PemEncoding.TryFind(text, out PemFields fields))
            throw new FormatException("the DKIM key file holds no readable PEM block");
        string label = text[fields.Label];
        byte[] der = Convert.FromBase64String(text[fields.Base64Data]);
        if (label == "PUBLIC KEY" && der.AsSpan().StartsWith(Ed25519SpkiPrefix) && der.Length == Ed25519SpkiPrefix.Length + 32)
            return new DkimKey("ed25519", Convert.ToBase64String(der.AsSpan(Ed25519SpkiPrefix.Length)));
        if (label is not ("PUBLIC KEY" or "RSA PUBLIC KEY" or "PRIVATE KEY" or "RSA PRIVATE KEY"))
            throw new FormatException($"the DKIM key file holds a PEM \"{label}\" block, not an RSA or Ed25519 key");
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(text);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new FormatException("the DKIM key file holds no RSA key this tool reads (an Ed25519 key must be given as its PEM public key)", e);
        }

        if (rsa.KeySize < 1024)
            throw new FormatException($"the DKIM key has {rsa.KeySize} bits; verifiers ignore RSA keys under 1024 bits (RFC 8301)");
        return new DkimKey("rsa", Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    }

    private static DkimKey FromRecordText(string text)
    {
        // opendkim-genkey writes: default._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; " "p=MIIB..." ) ; comment
        var joined = new StringBuilder();
        bool quoted = false;
        bool sawQuote = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
                sawQuote = true;
            }
            else if (quoted)
            {
                joined.Append(c == '\\' && i + 1 < text.Length ? text[++i] : c);
            }
        }

        string record = sawQuote ? joined.ToString() : text;
        if (TxtData.Tags(record) is not { } tags || !tags.TryGetValue("p", out string? p) || p.Length == 0)
            throw new FormatException("the DKIM key file is neither a PEM key nor a DKIM TXT record with a p= key");
        try
        {
            _ = Convert.FromBase64String(p);
        }
        catch (FormatException e)
        {
            throw new FormatException("the DKIM record's p= value is not base64", e);
        }

        string type = tags.TryGetValue("k", out string? k) && k.Length > 0 ? k.ToLowerInvariant() : "rsa";
        if (type is not ("rsa" or "ed25519"))
            throw new FormatException($"the DKIM record names key type k={type}; rsa or ed25519 expected");
        return new DkimKey(type, p);
    }
}
