namespace Mailseal.Maildir;

/// <summary>What a run did in one folder (the summary's line; thread-safe counters).</summary>
internal sealed class FolderResult(string name)
{
    private long _encrypted;
    private long _alreadyEncrypted;
    private long _vanished;
    private long _tooLarge;
    private long _bytesIn;
    private long _recovered;

    /// <summary>The folder's IMAP name.</summary>
    public string Name { get; } = name;

    /// <summary>Message files found in cur/.</summary>
    public long Total { get; set; }

    /// <summary>Files left in new/ (Dovecot moves them to cur/ at its next sync; the next run takes them).</summary>
    public long InNew { get; set; }

    public long Encrypted => Interlocked.Read(ref _encrypted);

    public long AlreadyEncrypted => Interlocked.Read(ref _alreadyEncrypted);

    /// <summary>Expunged (or moved) by a client while the run worked on them.</summary>
    public long Vanished => Interlocked.Read(ref _vanished);

    /// <summary>Over --max-message-size, left in plaintext.</summary>
    public long TooLarge => Interlocked.Read(ref _tooLarge);

    /// <summary>Plaintext bytes read (for MB/s).</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Journal entries of an interrupted run completed at the start.</summary>
    public long Recovered => Interlocked.Read(ref _recovered);

    /// <summary>Messages handled so far (for the progress line).</summary>
    public long Done => Encrypted + AlreadyEncrypted + Vanished + TooLarge;

    public void AddEncrypted(long bytes)
    {
        Interlocked.Increment(ref _encrypted);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void AddAlreadyEncrypted(long bytes)
    {
        Interlocked.Increment(ref _alreadyEncrypted);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void AddVanished() => Interlocked.Increment(ref _vanished);

    public void AddTooLarge() => Interlocked.Increment(ref _tooLarge);

    public void AddRecovered(long n) => Interlocked.Add(ref _recovered, n);
}
