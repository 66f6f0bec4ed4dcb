using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// Encrypts a stream to one or more OpenPGP recipients (RFC 9580): one PKESK per recipient, then
/// SEIPD v1 (CFB with MDC, PKESK v3) or, when every recipient supports it, SEIPD v2 (AES-OCB,
/// PKESK v6), around a Literal Data packet, optionally compressed, optionally ASCII-armored.
/// Streaming throughout: fixed buffers, memory independent of the message size. Thread-safe:
/// one instance may encrypt many messages at once.
/// </summary>
public sealed class PgpEncryptor
{
    private const int CopyBufferSize = 64 * 1024;

    private readonly PgpEncryptOptions _options;

    /// <summary>Creates an encryptor.</summary>
    /// <param name="options">Output options; null takes the defaults (armored, uncompressed, SEIPD v2 allowed).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public PgpEncryptor(PgpEncryptOptions? options = null)
    {
        _options = options ?? new PgpEncryptOptions();
        _options.Validate();
    }

    /// <summary>The options this encryptor writes with.</summary>
    public PgpEncryptOptions Options => _options;

    /// <summary>
    /// Chooses what to write for these recipients. SEIPD v2 when <see cref="PgpEncryptOptions.AllowSeipdV2"/>
    /// and every recipient announces it (v6 keys always do) and none is an ElGamal key; otherwise
    /// SEIPD v1 (with v3 PKESKs, also for v6 keys then). The cipher is
    /// AES-256 when every recipient lists it, else AES-128, which RFC 9580 makes mandatory, so it is
    /// the fallback for everyone (a recipient with no preferences counts as AES-128 only). For SEIPD
    /// v2 a recipient lists AES-256 through its AEAD ciphersuites (AES-256 with OCB), or, when it
    /// states no ciphersuites, through its symmetric preferences.
    /// </summary>
    /// <exception cref="ArgumentException">No recipients.</exception>
    public PgpEncryptionPlan Plan(IReadOnlyList<EncryptionRecipient> recipients)
    {
        CheckRecipients(recipients);
        // ElGamal session keys go only in v3 PKESKs (RFC 9580 section 5.1.4), so one ElGamal
        // recipient keeps the whole message on SEIPD v1.
        bool v2 = _options.AllowSeipdV2
            && recipients.All(r => (r.SupportsSeipdV2 || r.Key.Version == 6) && r.Key.Algorithm != PublicKeyAlgorithm.ElGamal);
        bool aes256 = recipients.All(r => Supports(r, SymmetricAlgorithm.Aes256, v2));
        return new PgpEncryptionPlan(aes256 ? SymmetricAlgorithm.Aes256 : SymmetricAlgorithm.Aes128, v2);
    }

    /// <summary>Encrypts all of <paramref name="plaintext"/> to <paramref name="output"/>; output is flushed, not closed.</summary>
    /// <exception cref="ArgumentException">No recipients.</exception>
    /// <exception cref="OpenPgpFormatException">A recipient key cannot be encrypted to (nothing is written then).</exception>
    /// <remarks>If reading or writing fails part-way, the output holds an unterminated message that
    /// every OpenPGP reader rejects, never a complete-looking truncated one.</remarks>
    public void Encrypt(Stream plaintext, Stream output, IReadOnlyList<EncryptionRecipient> recipients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var encrypting = Open(output, recipients, sessionKey: null, salt: null);
        var buffer = GC.AllocateUninitializedArray<byte>(CopyBufferSize);
        try
        {
            int n;
            while ((n = plaintext.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                encrypting.Write(buffer, 0, n);
            }
        }
        catch
        {
            encrypting.Abort();
            throw;
        }

        encrypting.Dispose();
    }

    /// <summary>
    /// Encrypts all of <paramref name="plaintext"/> to <paramref name="output"/>, reading and writing
    /// asynchronously; output is flushed, not closed. Ciphertext is produced into a small bounded
    /// buffer and written out after each read, so memory stays flat.
    /// </summary>
    /// <exception cref="ArgumentException">No recipients.</exception>
    /// <exception cref="OpenPgpFormatException">A recipient key cannot be encrypted to (nothing is written then).</exception>
    public async Task EncryptAsync(Stream plaintext, Stream output, IReadOnlyList<EncryptionRecipient> recipients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(output);
        using var pending = new MemoryStream();
        var encrypting = Open(pending, recipients, sessionKey: null, salt: null);
        var buffer = GC.AllocateUninitializedArray<byte>(CopyBufferSize);
        try
        {
            int n;
            while ((n = await plaintext.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
#pragma warning disable CA1849 // The chain only computes into the in-memory 'pending' buffer; output is written asynchronously below.
                encrypting.Write(buffer, 0, n);
#pragma warning restore CA1849
                await DrainAsync(pending, output, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // What is already out stays an unterminated message; nothing more is written, so a
            // failing output cannot mask the first error.
            encrypting.Abort();
            throw;
        }

#pragma warning disable CA1849 // Disposing writes the trailers into the in-memory 'pending' buffer only.
        encrypting.Dispose();
#pragma warning restore CA1849
        await DrainAsync(pending, output, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a stream to write plaintext into. The PKESKs are computed (and every recipient key
    /// checked) before anything is written. Disposing (or DisposeAsync) writes the trailers and
    /// flushes <paramref name="output"/>; it never closes it. Do not dispose the returned stream
    /// after a failure part-way if the output is to be kept: dispose completes the message.
    /// </summary>
    /// <exception cref="ArgumentException">No recipients.</exception>
    /// <exception cref="OpenPgpFormatException">A recipient key cannot be encrypted to.</exception>
    public Stream OpenEncryptingStream(Stream output, IReadOnlyList<EncryptionRecipient> recipients) =>
        Open(output, recipients, sessionKey: null, salt: null);

    /// <summary>The chain behind <see cref="OpenEncryptingStream"/>; tests may fix the session key and salt.</summary>
    internal EncryptingStream Open(Stream output, IReadOnlyList<EncryptionRecipient> recipients, byte[]? sessionKey, byte[]? salt)
    {
        ArgumentNullException.ThrowIfNull(output);
        var plan = Plan(recipients);
        int keyLength = Seipd2EncryptingStream.KeyLength(plan.Cipher);
        sessionKey ??= KernelRandom.GetBytes(keyLength);
        if (sessionKey.Length != keyLength)
            throw new ArgumentException($"session key must be {keyLength} octets for {plan.Cipher}", nameof(sessionKey));

        // Every recipient is checked before the first output octet.
        var pkesks = new List<byte[]>(recipients.Count);
        foreach (var recipient in recipients)
            pkesks.Add(SessionKeyEncryptor.BuildPkesk(recipient.Key, sessionKey, plan.Cipher, plan.PkeskVersion));

        Stream bottom = _options.Armor
            ? new ArmorWriterStream(output, "PGP MESSAGE", writeChecksum: !plan.UseSeipdV2, leaveOpen: true)
            : output;
        foreach (var pkesk in pkesks)
        {
            PacketWriter.WriteHeader(bottom, PacketTag.PublicKeyEncryptedSessionKey, pkesk.Length);
            bottom.Write(pkesk);
        }

        var seipd = new PartialBodyStream(bottom, PacketTag.SymmetricallyEncryptedIntegrityProtectedData, leaveOpen: !_options.Armor);
        Stream encrypted = plan.UseSeipdV2
            ? new Seipd2EncryptingStream(seipd, plan.Cipher, sessionKey, _options.AeadChunkSizeOctet, salt ?? KernelRandom.GetBytes(Seipd2EncryptingStream.SaltLength))
            : new Seipd1EncryptingStream(seipd, sessionKey);
        CryptographicOperations.ZeroMemory(sessionKey);

        Stream literalTarget = encrypted;
        if (_options.Compression != CompressionAlgorithm.Uncompressed)
        {
            var compressed = new PartialBodyStream(encrypted, PacketTag.CompressedData, leaveOpen: false);
            compressed.WriteByte((byte)_options.Compression);
            literalTarget = _options.Compression == CompressionAlgorithm.Zlib
                ? new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: false)
                : new DeflateStream(compressed, CompressionLevel.Optimal, leaveOpen: false);
        }

        var literal = new PartialBodyStream(literalTarget, PacketTag.LiteralData, leaveOpen: false);
        var name = Encoding.UTF8.GetBytes(_options.FileName);
        Span<byte> head = stackalloc byte[2 + name.Length + 4];
        head[0] = (byte)'b';
        head[1] = (byte)name.Length;
        name.CopyTo(head[2..]);
        BinaryPrimitives.WriteUInt32BigEndian(head[(2 + name.Length)..], (uint)(_options.LiteralDate?.ToUnixTimeSeconds() ?? 0));
        literal.Write(head);
        return new EncryptingStream(literal, output);
    }

    private static async Task DrainAsync(MemoryStream pending, Stream output, CancellationToken cancellationToken)
    {
        if (pending.Length == 0)
            return;
        await output.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), cancellationToken).ConfigureAwait(false);
        pending.SetLength(0);
    }

    private static void CheckRecipients(IReadOnlyList<EncryptionRecipient> recipients)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
            throw new ArgumentException("at least one recipient is needed", nameof(recipients));
        foreach (var r in recipients)
        {
            if (r is null)
                throw new ArgumentException("a recipient is null", nameof(recipients));
        }
    }

    private static bool Supports(EncryptionRecipient recipient, SymmetricAlgorithm cipher, bool seipdV2)
    {
        if (seipdV2 && recipient.PreferredAeadCiphersuites.Count > 0)
            return cipher == SymmetricAlgorithm.Aes128 || recipient.PreferredAeadCiphersuites.Contains((cipher, AeadAlgorithm.Ocb));
        return cipher == SymmetricAlgorithm.Aes128 || recipient.PreferredSymmetric.Contains(cipher);
    }
}
