using System.Text;
using System.Text.RegularExpressions;
using Mailseal.Core.Mime;

namespace Mailseal.Pipeline.Scrub;

/// <summary>
/// Applies <see cref="ScrubRules"/> to a message's header block. Fields no rule touches go out
/// byte for byte; the body is never read into memory or changed. A field that a DKIM-Signature
/// on the message covers (its <c>h=</c> tag) is never altered, since that would break the
/// signature: scrub first, then sign (see README, outbound DKIM).
/// </summary>
public sealed partial class HeaderScrubber
{
    private const string AnonymousClient = "[127.0.0.1] (localhost [127.0.0.1])";
    private readonly ScrubRules _rules;
    private readonly MimeLimits _limits;

    /// <summary>Creates a scrubber.</summary>
    public HeaderScrubber(ScrubRules rules, MimeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules;
        _limits = limits ?? new MimeLimits();
    }

    /// <summary>
    /// Copies a message from <paramref name="input"/> to <paramref name="output"/> with the
    /// header block scrubbed. A header block over a limit passes through unchanged (reported in
    /// the outcome): scrubbing is best effort privacy, never a reason to hold mail.
    /// </summary>
    public async Task<ScrubOutcome> ScrubAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var read = await MimeHeaderReader.ReadAsync(input, _limits, cancellationToken).ConfigureAwait(false);
        ScrubOutcome outcome;
        if (read.Block.Status == HeaderBlockStatus.LimitExceeded)
        {
            await output.WriteAsync(read.HeaderBytes, cancellationToken).ConfigureAwait(false);
            outcome = new ScrubOutcome([], HeaderLimitExceeded: true);
        }
        else
        {
            var changes = new List<ScrubChange>();
            foreach (var field in Scrub(read.Block, changes))
                await output.WriteAsync(field, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(read.Block.Separator, cancellationToken).ConfigureAwait(false);
            outcome = new ScrubOutcome(changes, HeaderLimitExceeded: false);
        }

        await output.WriteAsync(read.BodyPrefix, cancellationToken).ConfigureAwait(false);
        await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>The scrubbed fields of a parsed header block, as raw bytes in order.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Scrub(HeaderBlock block, List<ScrubChange> changes) =>
        ScrubFields(block, changes).Select(f => f.Bytes);

    /// <summary>
    /// The fields that remain after scrubbing, each with the bytes to write for it (its own
    /// raw bytes, or the anonymised rewrite), in order; dropped fields are left out.
    /// </summary>
    public IEnumerable<(Header Field, ReadOnlyMemory<byte> Bytes)> ScrubFields(HeaderBlock block, List<ScrubChange> changes)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(changes);
        var signed = DkimCoveredFields(block);
        bool firstReceived = true;
        foreach (var header in block.Headers)
        {
            bool isFirstReceived = firstReceived && header.Is("Received");
            if (header.Is("Received"))
                firstReceived = false;

            if (_rules.Rules.Any(r => r.MatchesName(header.Name)))
            {
                if (signed.Contains(header.Name))
                {
                    changes.Add(new ScrubChange(header.Name, "kept-dkim"));
                    yield return (header, header.RawBytes);
                }
                else
                {
                    changes.Add(new ScrubChange(header.Name, "dropped"));
                }

                continue;
            }

            if (isFirstReceived && _rules.AnonymizesReceived && IsAuthenticatedSubmission(header.Value))
            {
                if (signed.Contains(header.Name))
                {
                    changes.Add(new ScrubChange(header.Name, "kept-dkim"));
                    yield return (header, header.RawBytes);
                    continue;
                }

                byte[]? rewritten = AnonymizeReceived(header.RawBytes.Span);
                if (rewritten is not null)
                {
                    changes.Add(new ScrubChange(header.Name, "anonymized"));
                    yield return (header, rewritten);
                    continue;
                }
            }

            yield return (header, header.RawBytes);
        }
    }

    /// <summary>True when a Received value records an authenticated (SASL) submission.</summary>
    internal static bool IsAuthenticatedSubmission(string receivedValue) =>
        AuthenticatedProtocol().IsMatch(receivedValue) || receivedValue.Contains("(Authenticated sender:", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Replaces "from HELO (NAME [IP])" in a raw Received field, keeping every other byte
    /// (by, with, id, for, date and the folding). Null when the field has no "from" clause.
    /// </summary>
    internal static byte[]? AnonymizeReceived(ReadOnlySpan<byte> raw)
    {
        // Latin-1 maps bytes 1:1, so unchanged bytes survive the round trip exactly.
        string text = Encoding.Latin1.GetString(raw);
        var m = FromClause().Match(text);
        if (!m.Success)
            return null;
        string result = text[..m.Groups["client"].Index] + AnonymousClient + text[(m.Groups["client"].Index + m.Groups["client"].Length)..];
        return Encoding.Latin1.GetBytes(result);
    }

    /// <summary>Field names listed in the h= tag of any DKIM-Signature on the message.</summary>
    internal static HashSet<string> DkimCoveredFields(HeaderBlock block)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var sig in block.Headers.Where(h => h.Is("DKIM-Signature")))
        {
            foreach (string tag in sig.Value.Split(';'))
            {
                int eq = tag.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0 || !tag[..eq].Trim().Equals("h", StringComparison.Ordinal))
                    continue;
                foreach (string name in tag[(eq + 1)..].Split(':'))
                {
                    string n = string.Concat(name.Where(c => !char.IsWhiteSpace(c)));
                    if (n.Length > 0)
                        names.Add(n);
                }
            }
        }

        return names;
    }

    // Postfix: "with ESMTPSA", "ESMTPA", "UTF8SMTPSA", "LMTPSA": A = SASL-authenticated.
    [GeneratedRegex(@"\bwith\s+(?:UTF8)?(?:E?SMTP|LMTP)S?A\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex AuthenticatedProtocol();

    // "Received: from HELO (NAME [IP])", the parenthesis possibly folded onto the next line.
    [GeneratedRegex(@"^Received:[ \t]*from[ \t]+(?<client>[^ \t\r\n(]+(?:[ \t\r\n]+\([^)]*\))?)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex FromClause();
}
