namespace Mailseal.Core.Cli;

/// <summary>What a man page needs beyond the command definition.</summary>
public sealed record ManPageInfo
{
    /// <summary>Manual section: 1 for user commands, 8 for the filters and daemons the admin runs.</summary>
    public string Section { get; init; } = "8";

    /// <summary>Date in the page footer (<c>2026-11-22</c>); empty omits it, so the output is reproducible.</summary>
    public string Date { get; init; } = string.Empty;

    /// <summary>Page footer source.</summary>
    public string Source { get; init; } = "Mailseal " + (typeof(ManPageInfo).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>Page header manual title.</summary>
    public string Manual { get; init; } = "Mailseal Manual";

    /// <summary>Extra sections, in the order given, after NAME, SYNOPSIS, DESCRIPTION, OPTIONS and COMMANDS.
    /// A section titled DESCRIPTION is merged into the generated DESCRIPTION instead.</summary>
    public IReadOnlyList<ManPageSection> Sections { get; init; } = [];
}
