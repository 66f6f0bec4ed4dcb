using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Messages;

/// <summary>
/// The real <see cref="IContentEncryptor"/>: Mailseal's own OpenPGP encryptor, ASCII-armored
/// (PGP/MIME carries armor), uncompressed (compression before encryption leaks length
/// information, and mail bodies are mostly already compressed), SEIPD v2 where every recipient
/// announces it.
/// </summary>
public sealed class PgpContentEncryptor : IContentEncryptor
{
    private readonly PgpEncryptor _encryptor;

    /// <summary>An encryptor with the options above; <paramref name="allowSeipdV2"/> false forces SEIPD v1 for old readers.</summary>
    public PgpContentEncryptor(bool allowSeipdV2 = true)
    {
        _encryptor = new PgpEncryptor(new PgpEncryptOptions
        {
            Armor = true,
            Compression = CompressionAlgorithm.Uncompressed,
            AllowSeipdV2 = allowSeipdV2,
        });
    }

    /// <inheritdoc/>
    public Stream OpenEncryptingStream(Stream output, IReadOnlyList<EncryptionRecipient> recipients) =>
        _encryptor.OpenEncryptingStream(output, recipients);
}
