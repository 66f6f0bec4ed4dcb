using Mailseal.Core.Mime;

namespace Mailseal.Core.Messages;

/// <summary>
/// Decides whether a message is already encrypted, so it passes through byte-identical:
/// PGP/MIME (RFC 3156), S/MIME enveloped-data or authEnveloped-data, inline PGP (every text
/// part holds only an armored PGP MESSAGE), and PGP/MIME mangled by Exchange (multipart/mixed
/// holding the application/pgp-encrypted and the armored application/octet-stream parts).
/// Anything else, signed messages included, is to be encrypted. When in doubt (a limit, a
/// malformed structure, plaintext next to ciphertext) the answer is "encrypt": a message is
/// never passed on in plaintext because it looked encrypted in part.
/// </summary>
public static class MessageClassifier
{
    /// <summary>
    /// True when the header block alone decides (PGP/MIME, S/MIME enveloped) or rules out a
    /// body check (multipart/signed, non-text leaf types). False means: look at the body, if it is small.
    /// </summary>
    public static MessageClassification? ClassifyByHeaders(HeaderBlock headers, MimeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(limits);
        var ct = headers.GetContentType(limits);
        if (ct is not null && IsPgpMime(ct))
            return new(true, "PGP/MIME");
        if (ct is not null && IsSmimeEnveloped(ct, headers, limits))
            return new(true, "S/MIME enveloped");
        if (ct is null || ct.Is("text", "*") || ct.Is("application", "octet-stream"))
            return null;
        if (ct.Is("multipart", "*") && !ct.Is("multipart", "signed") && ct.Boundary is not null)
            return null;
        return new(false, ct.Is("multipart", "signed") ? "signed: encrypted whole, signature intact" : "not encrypted");
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
            return new(true, state.Exchange ? "PGP/MIME mangled by Exchange" : "inline PGP");
        return new(false, "not encrypted");
    }

    internal static bool IsPgpMime(ContentType ct) =>
        ct.Is("multipart", "encrypted")
        && string.Equals(ct.GetParameter("protocol")?.Trim(), "application/pgp-encrypted", StringComparison.OrdinalIgnoreCase);

    internal static bool IsSmimeEnveloped(ContentType ct, HeaderBlock headers, MimeLimits limits)
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
        if (name is null && headers.Find("Content-Disposition") is { } cd && ContentDisposition.TryParse(cd.Value, out var disp, limits))
            name = disp.FileName;
        return name is not null && name.EndsWith(".p7m", StringComparison.OrdinalIgnoreCase);
    }

    private sealed class Budget
    {
        public int PartsLeft;
        public string? LimitReason;
    }

    private readonly record struct State(bool AllEncrypted, int Ciphertext, bool Exchange);

    private static State Examine(HeaderBlock headers, ReadOnlyMemory<byte> body, MimeLimits limits, int depth, Budget budget)
    {
        var ct = headers.GetContentType(limits);
        if (ct is not null && IsPgpMime(ct))
            return new(true, 1, false);
        if (ct is not null && IsSmimeEnveloped(ct, headers, limits))
            return new(true, 1, false);
        if (ct is not null && ct.Is("multipart", "*"))
        {
            if (ct.Is("multipart", "signed"))
                return new(false, 0, false);
            if (depth + 1 > limits.MaxMimeDepth)
            {
                budget.LimitReason = $"MIME depth over {limits.MaxMimeDepth}";
                return new(false, 0, false);
            }

            var boundary = ct.Boundary;
            if (boundary is null || boundary.Length is 0 or > MultipartScanner.MaxBoundaryLength)
                return new(false, 0, false);
            var scanner = new MultipartScanner(body, boundary);
            var all = true;
            var cipher = 0;
            var kinds = new List<string>();
            while (scanner.TryReadNextPart(out var part))
            {
                if (--budget.PartsLeft < 0)
                {
                    budget.LimitReason = $"more than {limits.MaxParts} parts";
                    return new(false, 0, false);
                }

                var partHeaders = HeaderParser.Parse(part.Span, limits, out var consumed);
                if (partHeaders.Status != HeaderBlockStatus.Complete)
                    return new(false, 0, false);
                var partBody = part[consumed..];
                var partType = partHeaders.GetContentType(limits);
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

            if (!scanner.IsWellFormed)
                return new(false, 0, false);
            var exchange = ct.Is("multipart", "mixed") && kinds.Contains("application/pgp-encrypted") && kinds.Contains("application/octet-stream");
            return new(all, cipher, exchange);
        }

        // A leaf: ciphertext only if it is nothing but an armored PGP message, in an identity transfer encoding.
        if (ct is not null && !ct.Is("text", "*") && !ct.Is("application", "octet-stream") && !ct.Is("application", "pgp-encrypted"))
            return new(false, 0, false);
        var cte = headers.Find("Content-Transfer-Encoding")?.Value;
        if (cte is not null && !cte.Equals("7bit", StringComparison.OrdinalIgnoreCase)
            && !cte.Equals("8bit", StringComparison.OrdinalIgnoreCase) && !cte.Equals("binary", StringComparison.OrdinalIgnoreCase))
            return new(false, 0, false);
        return ArmorCheck.IsOnlyPgpMessage(body.Span) ? new(true, 1, false) : new(false, 0, false);
    }

    private static bool IsVersionMarker(ReadOnlySpan<byte> body)
    {
        var text = System.Text.Encoding.Latin1.GetString(body).Trim();
        return text.Equals("Version: 1", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsBlank(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not (byte)' ' and not (byte)'\t' and not (byte)'\r' and not (byte)'\n')
                return false;
        }

        return true;
    }
}
