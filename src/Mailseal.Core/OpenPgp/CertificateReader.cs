using System.Diagnostics.CodeAnalysis;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Reads OpenPGP certificates (transferable public keys, RFC 9580 section 10.1), v4 and v6, from
/// ASCII armor (one or more blocks) or binary, one or many per input, and verifies their
/// self-signatures. Unknown algorithms, key versions and packet types skip that key or packet
/// with a warning; malformed framing, truncated or corrupted armor and garbage throw
/// <see cref="OpenPgpFormatException"/>. No other exception escapes for any input.
/// </summary>
public static class CertificateReader
{
    /// <summary>Reads certificates from armored or binary <paramref name="data"/>.</summary>
    /// <exception cref="OpenPgpFormatException">Garbage, truncated armor, bad armor checksum, broken packet framing, or a limit exceeded.</exception>
    public static CertificateReadResult Read(ReadOnlySpan<byte> data, OpenPgpReadOptions? options = null)
    {
        options ??= OpenPgpReadOptions.Default;
        options.Validate();
        // A UTF-8 byte order mark (Windows editors add one to .asc files) is not part of the armor.
        if (data.StartsWith("\uFEFF"u8))
            data = data[3..];
        if (data.IsEmpty)
            throw new OpenPgpFormatException("the key data is empty");
        if (data.Length > options.MaxInputBytes)
            throw new OpenPgpFormatException($"the key data is {data.Length} octets, more than {options.MaxInputBytes} (MaxInputBytes)");

        var certificates = new List<Certificate>();
        var warnings = new List<string>();
        if ((data[0] & 0x80) != 0)
        {
            ReadBinary(data.ToArray(), options, certificates, warnings);
        }
        else if (ArmorReader.LooksArmored(data))
        {
            foreach (var block in ArmorReader.ReadAll(data, options))
            {
                if (!string.Equals(block.Label, "PGP PUBLIC KEY BLOCK", StringComparison.Ordinal))
                {
                    warnings.Add($"armored block \"{block.Label}\" skipped: only public key blocks are read");
                    continue;
                }

                if (block.Data.Length == 0)
                    throw new OpenPgpFormatException("an armored public key block is empty");
                ReadBinary(block.Data, options, certificates, warnings);
            }
        }
        else
        {
            throw new OpenPgpFormatException("the key data is neither ASCII-armored (no \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" line) nor binary OpenPGP");
        }

        return new CertificateReadResult(certificates, warnings);
    }

    /// <summary>
    /// Like <see cref="Read(ReadOnlySpan{byte}, OpenPgpReadOptions?)"/>, but returns false with the
    /// one-line reason instead of throwing (for an admin tool checking a key before storing it).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, [NotNullWhen(true)] out CertificateReadResult? result,
        [NotNullWhen(false)] out string? error, OpenPgpReadOptions? options = null)
    {
        try
        {
            result = Read(data, options);
            error = null;
            return true;
        }
        catch (OpenPgpFormatException ex)
        {
            result = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Reads certificates from a stream, up to <see cref="OpenPgpReadOptions.MaxInputBytes"/>.</summary>
    /// <exception cref="OpenPgpFormatException">As <see cref="Read(ReadOnlySpan{byte}, OpenPgpReadOptions?)"/>, or the stream is longer than the limit.</exception>
    public static CertificateReadResult Read(Stream input, OpenPgpReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= OpenPgpReadOptions.Default;
        options.Validate();
        var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > options.MaxInputBytes)
                throw new OpenPgpFormatException($"the key data is more than {options.MaxInputBytes} octets (MaxInputBytes)");
            buffer.Write(chunk, 0, read);
        }

        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options);
    }

    private enum Attach
    {
        /// <summary>Signatures go to the primary key (direct-key, revocation).</summary>
        Primary,
        /// <summary>Signatures go to the last user id.</summary>
        UserId,
        /// <summary>Signatures go to the last subkey.</summary>
        Subkey,
        /// <summary>Signatures belong to something skipped (user attribute, unreadable subkey).</summary>
        Nothing,
    }

    private static void ReadBinary(byte[] data, OpenPgpReadOptions options, List<Certificate> certificates, List<string> warnings)
    {
        var reader = new PacketReader(data, options);
        CertificateParts? current = null;
        bool skipping = false;   // inside a certificate that is being skipped
        var attach = Attach.Nothing;
        int packetsInCert = 0;
        bool sawAnyKey = false;
        bool stopped = false;

        void Finish(int end)
        {
            if (current is not null && !skipping)
            {
                var budget = new SignatureBudget(options.MaxSignatureChecks);
                certificates.Add(new Certificate(current, data.AsMemory(current.Offset, end - current.Offset), budget));
                if (budget.Exhausted)
                    warnings.Add($"key 0x{current.Primary.KeyIdHex}: more than {options.MaxSignatureChecks} self-signatures; the rest were not checked (MaxSignatureChecks)");
            }

            current = null;
        }

        while (!stopped && reader.TryRead(out var packet))
        {
            int tag = packet.Tag;
            if (tag is (int)PacketTag.PublicKey or (int)PacketTag.SecretKey)
            {
                Finish(packet.Offset);
                sawAnyKey = true;
                skipping = false;
                packetsInCert = 1;
                attach = Attach.Nothing;
                if (certificates.Count >= options.MaxCertificatesPerFile)
                {
                    warnings.Add($"more than {options.MaxCertificatesPerFile} certificates in the input (MaxCertificatesPerFile): the rest is skipped");
                    stopped = true;
                    break;
                }

                if (tag == (int)PacketTag.SecretKey)
                {
                    warnings.Add($"secret key at offset {packet.Offset} skipped: only public keys are read");
                    skipping = true;
                    continue;
                }

                var primary = TryKey(packet, options, warnings, "key");
                if (primary is null)
                {
                    skipping = true;
                    continue;
                }

                current = new CertificateParts(primary, packet.Offset);
                attach = Attach.Primary;
                continue;
            }

            if (!sawAnyKey)
            {
                if (tag is (int)PacketTag.Marker or (int)PacketTag.Padding or (int)PacketTag.Trust)
                    continue;
                throw new OpenPgpFormatException($"the data is not a public key: its first packet is {TagName(tag)}");
            }

            if (skipping || current is null)
                continue;
            if (++packetsInCert > options.MaxPacketsPerCertificate)
            {
                warnings.Add($"key 0x{current.Primary.KeyIdHex} skipped: more than {options.MaxPacketsPerCertificate} packets (MaxPacketsPerCertificate)");
                skipping = true;
                current = null;
                continue;
            }

            switch (tag)
            {
                case (int)PacketTag.Signature:
                    if (attach == Attach.Nothing)
                        break;
                    SignaturePacket sig;
                    try
                    {
                        sig = SignaturePacket.Parse(packet.Body.Span, options);
                    }
                    catch (OpenPgpFormatException ex)
                    {
                        warnings.Add($"key 0x{current.Primary.KeyIdHex}: signature at offset {packet.Offset} skipped: {ex.Message}");
                        break;
                    }

                    switch (attach)
                    {
                        case Attach.Primary:
                            current.DirectSignatures.Add(sig);
                            break;
                        case Attach.UserId:
                            current.UserIds[^1].Signatures.Add(sig);
                            break;
                        case Attach.Subkey:
                            current.Subkeys[^1].Signatures.Add(sig);
                            break;
                    }

                    break;
                case (int)PacketTag.UserId:
                    current.UserIds.Add((packet.Body.ToArray(), []));
                    attach = Attach.UserId;
                    break;
                case (int)PacketTag.UserAttribute:
                    attach = Attach.Nothing;
                    break;
                case (int)PacketTag.PublicSubkey:
                    var sub = TryKey(packet, options, warnings, $"key 0x{current.Primary.KeyIdHex}: subkey");
                    if (sub is null)
                    {
                        attach = Attach.Nothing;
                        break;
                    }

                    current.Subkeys.Add((sub, []));
                    attach = Attach.Subkey;
                    break;
                case (int)PacketTag.SecretSubkey:
                    warnings.Add($"key 0x{current.Primary.KeyIdHex}: secret subkey at offset {packet.Offset} skipped: only public keys are read");
                    attach = Attach.Nothing;
                    break;
                case (int)PacketTag.Trust or (int)PacketTag.Marker or (int)PacketTag.Padding:
                    break;
                default:
                    warnings.Add($"key 0x{current.Primary.KeyIdHex}: {TagName(tag)} at offset {packet.Offset} skipped: not part of a public key");
                    break;
            }
        }

        // When stopped, the last certificate was already finished before the limit check.
        Finish(data.Length);
        if (!sawAnyKey)
            throw new OpenPgpFormatException("the data holds no key packet");
    }

    private static PublicKeyPacket? TryKey(RawPacket packet, OpenPgpReadOptions options, List<string> warnings, string what)
    {
        PublicKeyPacket key;
        try
        {
            key = PublicKeyPacket.Parse(packet.Body.Span);
        }
        catch (OpenPgpFormatException ex)
        {
            warnings.Add($"{what} at offset {packet.Offset} skipped: {ex.Message}");
            return null;
        }

        if (key.Version == 4 && key.Body.Length > ushort.MaxValue)
        {
            warnings.Add($"{what} 0x{key.KeyIdHex} skipped: a v4 key packet longer than 65535 octets cannot be fingerprinted");
            return null;
        }

        string? problem = KeyMaterialCheck.Problem(key, options);
        if (problem is not null)
        {
            warnings.Add($"{what} 0x{key.KeyIdHex} skipped: {problem}");
            return null;
        }

        return key;
    }

    private static string TagName(int tag) => Enum.IsDefined((PacketTag)tag)
        ? $"a {(PacketTag)tag} packet"
        : $"a packet of unknown type {tag}";
}
