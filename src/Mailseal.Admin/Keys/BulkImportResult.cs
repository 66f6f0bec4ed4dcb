namespace Mailseal.Admin.Keys;

/// <summary>One file of a bulk import and what became of it.</summary>
/// <param name="File">The file name, control characters escaped.</param>
/// <param name="Address">The address the name gives, when it gives one.</param>
/// <param name="Outcome">Imported, unchanged or refused.</param>
/// <param name="Fingerprint">The stored (or already stored) key's fingerprint.</param>
/// <param name="Reason">Why the file was refused, in the OpenPGP layer's words where it is the key.</param>
internal sealed record BulkImportResult(string File, string? Address, BulkImportOutcome Outcome, string? Fingerprint, string? Reason)
{
    public static BulkImportResult Refused(string file, string? address, string reason) => new(file, address, BulkImportOutcome.Refused, null, reason);

    /// <summary>The result line: <c>imported ADDRESS FPR</c>, <c>unchanged ADDRESS FPR</c> or <c>refused FILE: reason</c>.</summary>
    public string Describe() => Outcome switch
    {
        BulkImportOutcome.Imported => $"imported  {Address} {Fingerprint}",
        BulkImportOutcome.Unchanged => $"unchanged {Address} {Fingerprint}",
        _ => $"refused   {File}: {Reason}",
    };
}
