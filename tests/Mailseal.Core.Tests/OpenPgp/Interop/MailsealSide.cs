using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>What Mailseal does in the matrix: read a generated certificate, pick its encryption key, encrypt to a file.</summary>
internal static class MailsealSide
{
    /// <summary>The message forms the matrix covers, by name: armored (as mail carries it) or binary, uncompressed or compressed.</summary>
    public static readonly IReadOnlyDictionary<string, PgpEncryptOptions> Forms = new Dictionary<string, PgpEncryptOptions>(StringComparer.Ordinal)
    {
        ["armored"] = new() { Armor = true, Compression = CompressionAlgorithm.Uncompressed, AllowSeipdV2 = true },
        ["binary"] = new() { Armor = false, Compression = CompressionAlgorithm.Uncompressed, AllowSeipdV2 = true },
        ["armored-zlib"] = new() { Armor = true, Compression = CompressionAlgorithm.Zlib, AllowSeipdV2 = true },
        ["binary-zip"] = new() { Armor = false, Compression = CompressionAlgorithm.Zip, AllowSeipdV2 = true },
    };

    /// <summary>Reads <paramref name="key"/>'s certificate with Mailseal's reader and checks it against what the generator said.</summary>
    public static Certificate ReadCertificate(OracleKey key)
    {
        var read = CertificateReader.Read(key.ReadPublicKey());
        var certificate = Assert.Single(read.Certificates);
        Assert.Equal(key.Fingerprint, certificate.FingerprintHex, ignoreCase: true);
        return certificate;
    }

    /// <summary>The recipient Mailseal chooses for <paramref name="key"/>; fails with the reader's reason if there is none.</summary>
    public static EncryptionRecipient RecipientFor(OracleKey key)
    {
        var selection = ReadCertificate(key).SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, $"{key}: Mailseal finds no usable encryption key: {selection.Reason}");
        return selection.Recipient!;
    }

    /// <summary>Encrypts <paramref name="payload"/> to <paramref name="recipients"/> into a new file at <paramref name="path"/>, in one of <see cref="Forms"/>.</summary>
    public static void EncryptToFile(byte[] payload, IReadOnlyList<EncryptionRecipient> recipients, string path, string form = "armored")
    {
        var encryptor = new PgpEncryptor(Forms[form]);
        using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        encryptor.Encrypt(new MemoryStream(payload, writable: false), output, recipients);
    }
}
