using Mailseal.Core.Messages;

namespace Mailseal.Maildir;

/// <summary>The named limits and switches of one run (each is an option of mailseal-maildir).</summary>
internal sealed record MaildirRunOptions
{
    /// <summary>Messages encrypted at once (--jobs); default one per core.</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>Most messages committed under one hold of Dovecot's uidlist lock (--batch-size).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Longest wait for Dovecot's dovecot-uidlist.lock (--lock-timeout).</summary>
    public TimeSpan UidListLockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for another run working on the same folder (--folder-lock-timeout).</summary>
    public TimeSpan FolderLockTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest message file encrypted (--max-message-size); a larger one is skipped and reported.</summary>
    public long MaxMessageBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Classify and count only: nothing is written, renamed or removed (--dry-run).</summary>
    public bool DryRun { get; init; }

    /// <summary>How messages are encrypted (shared with mailseal-encrypt).</summary>
    public MessageEncryptionOptions Encryption { get; init; } = MessageEncryptionOptions.Default;
}
