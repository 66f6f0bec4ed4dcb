using Mailseal.Core.Messages;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>
/// Decides whether a message is already encrypted, so it passes through byte-identical:
/// PGP/MIME (RFC 3156), S/MIME enveloped-data or authEnveloped-data, inline PGP (every text
/// part holds only an armored PGP MESSAGE), and PGP/MIME mangled by Exchange (multipart/mixed
/// holding the application/pgp-encrypted and the armored application/octet-stream parts).
/// Anything else, signed messages included, is to be encrypted. When in doubt (a limit, a
/// malformed structure, plaintext next to ciphertext) the answer is "encrypt": a message is
/// never passed on in plaintext because it looked encrypted in part.
/// </summary>
internal static class LegacyMessageClassifier
{
    /// <summary>
    /// Decides from the header block alone when the body cannot change the answer: a
    /// multipart/signed message or a leaf type that never holds ciphertext is encrypted. Null
    /// means the body must be examined (PGP/MIME and S/MIME are verified, not trusted by their
    /// label: a plaintext body under an "encrypted" Content-Type would otherwise be stored in
    /// the clear).
    /// </summary>
    public static MessageClassification? ClassifyByHeaders(HeaderBlock headers, MimeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(limits);
        var ct = headers.LegacyGetContentType(limits);
        if (ct is null || ct.Is("text", "*") || ct.Is("application", "octet-stream") || IsPgpMime(ct)
            || IsSmimeEnveloped(ct, headers, limits))
            return null;
        if (ct.Is("multipart", "*") && !ct.Is("multipart", "signed") && ct.Boundary is not null)
            return null;
        return new(false, ct.Is("multipart", "signed") ? "signed: encrypted whole, signature intact" : "plaintext");
    }

    /// <summary>Classifies a message whose whole body is in memory.</summary>
    public static MessageClassification Classify(HeaderBlock headers, ReadOnlyMemory<byte> body, MimeLimits limits)
    {
        var byHeaders = ClassifyByHeaders(headers, limits);
        if (byHeaders is not null)
            return byHeaders;
        var budget = new Budget { PartsLeft = limits.MaxParts };
        var state = Examine(headers, body, limits, depth: 0, budget);
        if (budget.LimitReason is not null)
            return new(false, "encrypted whole: " + budget.LimitReason);
        if (state.Ciphertext > 0 && state.AllEncrypted)
            return new(true, state.Kind);
        return new(false, "plaintext");
    }

    internal static bool IsPgpMime(LegacyContentType ct) =>
        ct.Is("multipart", "encrypted")
        && string.Equals(ct.GetParameter("protocol")?.Trim(), "application/pgp-encrypted", StringComparison.OrdinalIgnoreCase);

    internal static bool IsSmimeEnveloped(LegacyContentType ct, HeaderBlock headers, MimeLimits limits)
    {
        if (!ct.Is("application", "pkcs7-mime") && !ct.Is("application", "x-pkcs7-mime"))
            return false;
        var smimeType = ct.GetParameter("smime-type");
        if (smimeType is not null)
        {
            return string.Equals(smimeType, "enveloped-data", StringComparison.OrdinalIgnoreCase)
                || string.Equals(smimeType, "authEnveloped-data", StringComparison.OrdinalIgnoreCase);
        }

        // Old clients omit smime-type; signed-only opaque messages always carry it (RFC 8551 3.2.2).
        var name = ct.GetParameter("name");
        if (name is null && headers.Find("Content-Disposition") is { } cd && LegacyContentDisposition.TryParse(cd.Value, out var disp, limits))
            name = disp.FileName;
        return name is not null && name.EndsWith(".p7m", StringComparison.OrdinalIgnoreCase);
    }

    private sealed class Budget
    {
        public int PartsLeft;
        public string? LimitReason;
    }

    private readonly record struct State(bool AllEncrypted, int Ciphertext, string Kind);

    private static State Examine(HeaderBlock headers, ReadOnlyMemory<byte> body, MimeLimits limits, int depth, Budget budget)
    {
        var ct = headers.LegacyGetContentType(limits);
        if (ct is not null && IsSmimeEnveloped(ct, headers, limits))
            return IsCmsEnvelope(headers, body.Span) ? new(true, 1, "S/MIME enveloped") : No;
        if (ct is not null && ct.Is("multipart", "*"))
        {
            if (ct.Is("multipart", "signed"))
                return No;
            if (depth + 1 > limits.MaxMimeDepth)
            {
                budget.LimitReason = $"MIME depth over {limits.MaxMimeDepth}";
                return No;
            }

            var boundary = ct.Boundary;
            if (boundary is null || boundary.Length is 0 or > LegacyMultipartScanner.MaxBoundaryLength)
                return No;
            var scanner = new LegacyMultipartScanner(body, boundary);
            var all = true;
            var cipher = 0;
            var kinds = new List<string>();
            while (scanner.TryReadNextPart(out var part))
            {
                if (--budget.PartsLeft < 0)
                {
                    budget.LimitReason = $"more than {limits.MaxParts} parts";
                    return No;
                }

                var partHeaders = HeaderParser.Parse(part.Span, limits, out var consumed);
                if (partHeaders.Status != HeaderBlockStatus.Complete || !LegacyPartHeaderCheck.IsAllowed(partHeaders, limits))
                    return No;
                var partBody = part[consumed..];
                var partType = partHeaders.LegacyGetContentType(limits);
                kinds.Add(partType?.ToString() ?? "text/plain");
                if (partType is not null && partType.Is("application", "pgp-encrypted") && IsVersionMarker(partBody.Span))
                    continue; // the PGP/MIME version part holds no content
                if (partType is null or { MediaType: "text" } && IsBlank(partBody.Span))
                    continue; // an empty text part (Exchange adds one) holds no content
                var s = Examine(partHeaders, partBody, limits, depth + 1, budget);
                all &= s.AllEncrypted;
                cipher += s.Ciphertext;
                if (!all)
                    break;
            }

            // Text around the parts is stored as it is when the message passes unchanged: a
            // preamble that is more than a client's note (PreambleCheck), or any epilogue,
            // makes it plaintext (the same rules as StreamingClassifier).
            if (!scanner.IsWellFormed || !PreambleCheck.IsAllowedPreamble(body.Span[..scanner.PreambleLength]) || !IsBlank(scanner.Epilogue.Span))
                return No;
            var kind = IsPgpMime(ct) ? "PGP/MIME"
                : ct.Is("multipart", "mixed") && kinds.Contains("application/pgp-encrypted") && kinds.Contains("application/octet-stream")
                    ? "PGP/MIME mangled by Exchange"
                    : "inline PGP";
            return new(all, cipher, kind);
        }

        // A leaf: ciphertext only if it is nothing but an armored PGP message, in an identity transfer encoding.
        if (ct is not null && !ct.Is("text", "*") && !ct.Is("application", "octet-stream") && !ct.Is("application", "pgp-encrypted"))
            return No;
        var cte = headers.Find("Content-Transfer-Encoding")?.Value;
        if (cte is not null && !cte.Equals("7bit", StringComparison.OrdinalIgnoreCase)
            && !cte.Equals("8bit", StringComparison.OrdinalIgnoreCase) && !cte.Equals("binary", StringComparison.OrdinalIgnoreCase))
            return No;
        return ArmorCheck.IsOnlyPgpMessage(body.Span) ? new(true, 1, "inline PGP") : No;
    }

    private static readonly State No = new(false, 0, "plaintext");

    // DER of the content-type OIDs a CMS ContentInfo starts with (RFC 5652, RFC 5083).
    private static readonly byte[] EnvelopedDataOid = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03];
    private static readonly byte[] AuthEnvelopedDataOid = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17];

    /// <summary>
    /// The body (base64 or binary) is a DER ContentInfo whose content type is envelopedData or
    /// authEnvelopedData: S/MIME ciphertext, not a plaintext under an S/MIME label.
    /// </summary>
    internal static bool IsCmsEnvelope(HeaderBlock headers, ReadOnlySpan<byte> body)
    {
        var cte = headers.Find("Content-Transfer-Encoding")?.Value;
        Span<byte> head = stackalloc byte[64];
        int length;
        if (cte is not null && cte.Equals("base64", StringComparison.OrdinalIgnoreCase))
        {
            // Decode just the first 64 bytes' worth of base64 (skipping line breaks).
            Span<byte> chars = stackalloc byte[84]; // 84 base64 characters decode to 63 bytes
            var n = 0;
            foreach (var b in body)
            {
                if (b is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')
                    continue;
                chars[n++] = b;
                if (n == chars.Length)
                    break;
            }

            n -= n % 4;
            if (System.Buffers.Text.Base64.DecodeFromUtf8(chars[..n], head, out _, out length) != System.Buffers.OperationStatus.Done)
                return false;
        }
        else
        {
            length = Math.Min(body.Length, head.Length);
            body[..length].CopyTo(head);
        }

        var der = head[..length];
        if (der.Length < 2 || der[0] != 0x30)
            return false;
        var p = 2;
        if ((der[1] & 0x80) != 0)
            p += der[1] & 0x7F; // long-form length octets
        if (p >= der.Length)
            return false;
        var rest = der[p..];
        return rest.StartsWith(EnvelopedDataOid) || rest.StartsWith(AuthEnvelopedDataOid);
    }

    internal static bool IsVersionMarker(ReadOnlySpan<byte> body)
    {
        var text = System.Text.Encoding.Latin1.GetString(body).Trim();
        return text.Equals("Version: 1", StringComparison.OrdinalIgnoreCase);
    }

    internal static bool IsBlank(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not (byte)' ' and not (byte)'\t' and not (byte)'\r' and not (byte)'\n')
                return false;
        }

        return true;
    }
}
