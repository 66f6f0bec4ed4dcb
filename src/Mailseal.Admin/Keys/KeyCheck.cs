using Mailseal.Core.Keys;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Admin.Keys;

/// <summary>
/// What <c>key import</c>, <c>key rotate</c> and <c>user add</c> accept: the certificate of the
/// file that names the address in a user id (unless the admin overrides that), and that has a
/// usable encryption key now by the same rules mailseal-encrypt applies at delivery
/// (<see cref="Certificate.SelectEncryptionKey"/>), refused in that layer's own words otherwise.
/// </summary>
internal static class KeyCheck
{
    /// <summary>Largest key file read (the key folder's own limit).</summary>
    public const int MaxKeyBytes = 1024 * 1024;

    /// <summary>The accepted certificate, or an exception carrying the reason.</summary>
    /// <exception cref="FormatException">The data is not a usable key for <paramref name="address"/>.</exception>
    public static Certificate Accept(ReadOnlySpan<byte> data, string address, DateTimeOffset now, bool allowOtherAddress)
    {
        if (data.Length > MaxKeyBytes)
            throw new FormatException($"the key file is larger than {MaxKeyBytes} bytes");
        IReadOnlyList<Certificate> certificates;
        try
        {
            certificates = CertificateReader.Read(data).Certificates;
        }
        catch (OpenPgpFormatException e)
        {
            throw new FormatException("not an OpenPGP public key: " + e.Message, e);
        }

        if (certificates.Count == 0)
            throw new FormatException("the file holds no public key");

        var naming = certificates.Where(c => Names(c, address)).ToList();
        if (naming.Count == 0)
        {
            if (!allowOtherAddress)
            {
                string ids = string.Join(", ", certificates.SelectMany(c => c.UserIds).Select(u => u.Value).Take(5));
                throw new FormatException($"no user id of the key names {address} (its user ids: {(ids.Length == 0 ? "none" : ids)}); --allow-other-address imports it anyway");
            }

            naming = [.. certificates];
        }

        KeyLookupResult result = KeyLookupResult.FromCertificates(address, naming, now, null);
        return result.HasUsableKey ? result.Certificate! : throw new FormatException(result.Reason ?? "no usable encryption key");
    }

    /// <summary>True when a valid user id of <paramref name="certificate"/> holds <paramref name="address"/>.</summary>
    public static bool Names(Certificate certificate, string address) =>
        certificate.UserIds.Any(u => u.IsValid && u.Email is { } e && string.Equals(e, address, StringComparison.OrdinalIgnoreCase));

    /// <summary>When the key chosen for encryption stops being usable: the earlier of the primary key's and the subkey's expiry; null = never.</summary>
    public static DateTimeOffset? EncryptionExpiry(Certificate certificate, DateTimeOffset now)
    {
        EncryptionKeySelection selection = certificate.SelectEncryptionKey(now);
        DateTimeOffset? primary = certificate.Expires;
        DateTimeOffset? sub = null;
        if (selection.Recipient is { } recipient)
        {
            sub = certificate.Subkeys.FirstOrDefault(s => s.Key.Fingerprint.AsSpan().SequenceEqual(recipient.Key.Fingerprint))?.Expires;
        }

        return (primary, sub) switch
        {
            (null, null) => null,
            ({ } p, null) => p,
            (null, { } s) => s,
            ({ } p, { } s) => p < s ? p : s,
        };
    }
}
