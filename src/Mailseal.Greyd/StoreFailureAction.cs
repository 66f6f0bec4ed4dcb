namespace Mailseal.Greyd;

/// <summary>What to answer when the store cannot be reached in time (<c>--store-unavailable</c>).</summary>
public enum StoreFailureAction
{
    /// <summary><c>dunno</c> (default): let the mail through; a greylist must never stop mail.</summary>
    Dunno,

    /// <summary><c>defer</c>: answer the greylist action with a "try again later" text.</summary>
    Defer,
}
