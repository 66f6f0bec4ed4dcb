namespace Mailseal.Admin.Keys;

/// <summary>What <c>key import DIR</c> did with one file.</summary>
internal enum BulkImportOutcome
{
    /// <summary>The key was stored (new, or replacing another).</summary>
    Imported,

    /// <summary>The store already held exactly this key; nothing was written.</summary>
    Unchanged,

    /// <summary>The file was not imported; the reason says why.</summary>
    Refused,
}
