namespace Mailseal.Pipeline.Scrub;

/// <summary>One rule: a kind and, for <see cref="ScrubRuleKind.Drop"/>, the field name pattern.</summary>
/// <param name="Kind">What the rule does.</param>
/// <param name="Pattern">A field name, or a prefix ending in <c>*</c>; empty for Received anonymising.</param>
/// <param name="Line">The rules-file line it came from (0 for built-in rules).</param>
public sealed record ScrubRule(ScrubRuleKind Kind, string Pattern, int Line = 0)
{
    /// <summary>True when this drop rule applies to a field called <paramref name="name"/>.</summary>
    public bool MatchesName(string name) =>
        Kind == ScrubRuleKind.Drop && (Pattern.EndsWith('*')
            ? name.StartsWith(Pattern[..^1], StringComparison.OrdinalIgnoreCase)
            : name.Equals(Pattern, StringComparison.OrdinalIgnoreCase));
}
