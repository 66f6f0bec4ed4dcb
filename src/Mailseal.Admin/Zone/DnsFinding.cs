namespace Mailseal.Admin.Zone;

/// <summary>One line of <c>dns check</c>: what was checked, at which name, the outcome and why.</summary>
internal sealed record DnsFinding(string Check, string Name, DnsFindingStatus Status, string Detail)
{
    public string StatusText => Status switch
    {
        DnsFindingStatus.Ok => "ok",
        DnsFindingStatus.Skipped => "skipped",
        DnsFindingStatus.Unknown => "UNKNOWN",
        DnsFindingStatus.Missing => "MISSING",
        _ => "WRONG",
    };
}
