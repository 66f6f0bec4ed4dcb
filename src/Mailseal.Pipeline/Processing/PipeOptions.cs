using Mailseal.Core.Keys;
using Mailseal.Core.Messages;
using Mailseal.Core.Mime;
using Mailseal.Pipeline.Scrub;
using Mailseal.Pipeline.Smtp;
using Mailseal.Pipeline.Spam;

namespace Mailseal.Pipeline.Processing;

/// <summary>Everything <see cref="MessageProcessor"/> does, as named settings (config section <c>[pipe]</c>).</summary>
public sealed record PipeOptions
{
    /// <summary><c>spam_check</c>: ask spamd for a verdict.</summary>
    public bool SpamCheck { get; init; } = true;

    /// <summary>How to reach spamd and the size above which a message is not checked.</summary>
    public SpamdClientOptions Spamd { get; init; } = new();

    /// <summary><c>spam_unavailable</c>: tempfail (default) or skip.</summary>
    public SpamUnavailablePolicy SpamUnavailable { get; init; } = SpamUnavailablePolicy.Tempfail;

    /// <summary><c>spam_subject_tag</c>: put this in front of a spam message's Subject (empty: leave it).</summary>
    public string SpamSubjectTag { get; init; } = string.Empty;

    /// <summary>The scrub rules to apply, or null for none (config <c>scrub</c>, <c>scrub_rules</c>).</summary>
    public ScrubRules? Scrub { get; init; }

    /// <summary><c>missing_key</c>: a local recipient with no usable key.</summary>
    public MissingKeyPolicy MissingKey { get; init; } = MissingKeyPolicy.Tempfail;

    /// <summary>How each copy is encrypted (header protection, DKIM, spool size).</summary>
    public MessageEncryptionOptions Encryption { get; init; } = MessageEncryptionOptions.Default;

    /// <summary>How finished copies go back to Postfix.</summary>
    public ReinjectorOptions Reinject { get; init; } = new();

    /// <summary>
    /// How many bytes of a message are buffered per copy while copies are produced side by
    /// side (a message to several recipients); the reader waits when a copy falls behind.
    /// </summary>
    public int FanOutBufferBytes { get; init; } = 256 * 1024;

    /// <summary>MIME limits for the header block.</summary>
    public MimeLimits Limits => Encryption.Limits;
}
