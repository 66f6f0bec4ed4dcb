namespace Mailseal.Core.Keys;

/// <summary>What to do with a local recipient that has no usable key.</summary>
public enum MissingKeyPolicy
{
    /// <summary>Exit 75: Postfix keeps the mail queued until a key is installed (default; never plaintext).</summary>
    Tempfail,

    /// <summary>Leave that recipient out; with no usable key at all, pass the message unchanged (plaintext!).</summary>
    Pass,

    /// <summary>Exit 67 (EX_NOUSER): Postfix bounces the message.</summary>
    Bounce,
}
