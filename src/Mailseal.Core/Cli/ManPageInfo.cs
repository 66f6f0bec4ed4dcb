namespace Mailseal.Core.Cli;

/// <summary>What a man page needs beyond the command definition.</summary>
public sealed record ManPageInfo
{
    /// <summary>Manual section: 1 for user commands, 8 for the filters and daemons the admin runs.</summary>
    public string Section { get; init; } = "8";

    /// <summary>Date in the page footer (<c>2026-11-22</c>); empty omits it, so the output is reproducible.</summary>
    public string Date { get; init; } = string.Empty;

    /// <summary>Page footer source (default: Mailseal and the product version).</summary>
    /// <remarks>
    /// The default is made when first read: reading the assembly's version is reflection, which
    /// in a NativeAOT binary starts the type loader, and every tool builds its ManPageInfo at each
    /// start while only --generate-man-page reads it (it was 6 % of a mailseal-encrypt run).
    /// </remarks>
    public string Source
    {
        get => field ??= "Mailseal " + (typeof(ManPageInfo).Assembly.GetName().Version?.ToString(3) ?? "0");
        init;
    }

    /// <summary>Page header manual title.</summary>
    public string Manual { get; init; } = "Mailseal Manual";

    /// <summary>Extra sections, in the order given, after NAME, SYNOPSIS, DESCRIPTION, OPTIONS and COMMANDS.
    /// A section titled DESCRIPTION is merged into the generated DESCRIPTION instead.</summary>
    public IReadOnlyList<ManPageSection> Sections { get; init; } = [];
}
