namespace Mailseal.Maildir;

/// <summary>One message of a commit batch (see <see cref="CommitJournal"/>).</summary>
/// <param name="TmpName">The ciphertext's name in tmp/.</param>
/// <param name="OldName">The plaintext's name in cur/ when the batch started.</param>
/// <param name="NewName">The name the ciphertext takes in cur/ (new S=/W=, the same unique part and flags).</param>
internal sealed record JournalEntry(string TmpName, string OldName, string NewName);
