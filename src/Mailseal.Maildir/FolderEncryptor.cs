using System.Threading.Channels;
using Mailseal.Core.Messages;
using Mailseal.Core.Mime;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Maildir;

/// <summary>
/// Encrypts the plaintext messages of one Maildir folder in place, keeping each message's
/// UID, flags, keywords and INTERNALDATE (the file's mtime).
/// <para>
/// Per message (in parallel, <see cref="MaildirRunOptions.Jobs"/> at once): the file in cur/ is
/// read, and unless it is already encrypted (the same detector as mailseal-encrypt), its
/// PGP/MIME form is written to tmp/ (ciphertext only), fsynced, given the original's mode and
/// mtime. Then one writer commits batches: journal (names only, fsynced); Dovecot's uidlist
/// lock; rename(tmp/X, cur/NEW) over nothing (the name has new S=/W= fields, so it differs);
/// fsync cur/; unlink the old name; fsync cur/; the uidlist lines renamed to the new base names
/// (so UIDs are kept); the lock released by that rename; journal removed.
/// </para>
/// <para>
/// Crash safety: before the rename, the plaintext alone exists (a leftover tmp/ file is removed
/// by the next run). Between rename and unlink both exist, under Dovecot's lock, with the
/// journal naming them: the next run unlinks the plaintext. After the unlink, the ciphertext
/// alone exists; if the uidlist was not yet rewritten, the next run rewrites it from the
/// journal. So after recovery each message is exactly one file: never both, never neither.
/// </para>
/// </summary>
internal sealed class FolderEncryptor
{
    /// <summary>Prefix of this tool's files in tmp/ (ciphertext only).</summary>
    public const string TmpPrefix = "mailseal.";

    private readonly MaildirFolder _folder;
    private readonly IReadOnlyList<EncryptionRecipient> _keys;
    private readonly MaildirRunOptions _options;
    private readonly MessageEncryptor _encryptor = new(new PgpContentEncryptor());

    public FolderEncryptor(MaildirFolder folder, IReadOnlyList<EncryptionRecipient> keys, MaildirRunOptions options)
    {
        _folder = folder;
        _keys = keys;
        _options = options;
        Result = new FolderResult(folder.Name);
    }

    /// <summary>The counts, updated while the run goes on (the progress line reads them).</summary>
    public FolderResult Result { get; }

    /// <summary>Recovers what an interrupted run left, then encrypts every plaintext message in cur/.</summary>
    public async Task<FolderResult> RunAsync(CancellationToken ct)
    {
        using var folderLock = _options.DryRun ? null : await FolderLock.AcquireAsync(_folder.Path, _options.FolderLockTimeout, ct).ConfigureAwait(false);
        if (!_options.DryRun)
            await RecoverAsync(ct).ConfigureAwait(false);

        // No key: the caller found the folder empty and looked none up; a message that arrived
        // since then waits for the next run (it would need the key).
        var names = _keys.Count == 0 ? [] : ListNames(_folder.CurPath);
        Result.Total = names.Count;
        Result.InNew = Directory.Exists(_folder.NewPath) ? ListNames(_folder.NewPath).Count : 0;

        var pending = Channel.CreateBounded<JournalEntry>(new BoundedChannelOptions(Math.Max(_options.BatchSize * 2, 16)) { SingleReader = true });
        var committer = _options.DryRun ? Task.CompletedTask : Task.Run(() => CommitLoopAsync(pending.Reader, ct), ct);
        try
        {
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Jobs), CancellationToken = ct },
                async (name, token) =>
                {
                    var entry = await EncryptOneAsync(name, token).ConfigureAwait(false);
                    if (entry is not null)
                        await pending.Writer.WriteAsync(entry, token).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        finally
        {
            pending.Writer.TryComplete();
            await committer.ConfigureAwait(false);
        }

        return Result;
    }

    /// <summary>Reads one message and writes its ciphertext to tmp/; null when nothing is to be committed.</summary>
    private async Task<JournalEntry?> EncryptOneAsync(string name, CancellationToken ct)
    {
        var parsed = MaildirFileName.Parse(name);
        if (parsed is null)
            return null;
        string path = Path.Combine(_folder.CurPath, name);
#pragma warning disable CA2000 // disposed in the finally below (the analyzer does not follow the null check)
        FileStream? input = OpenOrNull(path);
#pragma warning restore CA2000
        if (input is null)
        {
            // Expunged, or renamed by a flag change since the listing: the next run sees its new name.
            Result.AddVanished();
            return null;
        }

        try
        {
            long length = input.Length;
            if (length > _options.MaxMessageBytes)
            {
                Result.AddTooLarge();
                return null;
            }

            if (await LooksEncryptedAsync(input, _options.Encryption.Limits, ct).ConfigureAwait(false))
            {
                Result.AddAlreadyEncrypted(length);
                return null;
            }

            input.Position = 0;
            var mtime = File.GetLastWriteTimeUtc(input.SafeFileHandle);
            var mode = File.GetUnixFileMode(input.SafeFileHandle);
            if (_options.DryRun)
            {
                using var sink = new SizeCountingStream(Stream.Null);
                var dry = await _encryptor.EncryptAsync(input, sink, _keys, _options.Encryption with { SpoolDirectory = null }, ct).ConfigureAwait(false);
                if (dry.Action == MessageAction.Encrypted)
                    Result.AddEncrypted(length);
                else
                    Result.AddAlreadyEncrypted(length);
                return null;
            }

            string tmpName = TmpPrefix + parsed.Unique + "." + Environment.ProcessId + "." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
            string tmpPath = Path.Combine(_folder.TmpPath, tmpName);
            var createOptions = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 64 * 1024,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            bool keep = false;
            try
            {
                MessageEncryptionResult result;
                long size, virtualSize;
                var output = new FileStream(tmpPath, createOptions);
                await using (output.ConfigureAwait(false))
                {
                    using var counting = new SizeCountingStream(output);
                    result = await _encryptor.EncryptAsync(input, counting, _keys, _options.Encryption with { SpoolDirectory = _folder.TmpPath }, ct).ConfigureAwait(false);
                    await output.FlushAsync(ct).ConfigureAwait(false);
#pragma warning disable CA1849 // fsync has no asynchronous form; it must happen before the rename
                    output.Flush(flushToDisk: true);
#pragma warning restore CA1849
                    size = counting.Bytes;
                    virtualSize = counting.VirtualBytes;
                }

                if (result.Action != MessageAction.Encrypted)
                {
                    Result.AddAlreadyEncrypted(length);
                    return null;
                }

                File.SetUnixFileMode(tmpPath, mode);
                File.SetLastWriteTimeUtc(tmpPath, mtime);
                keep = true;
                Result.AddEncrypted(length);
                return new JournalEntry(tmpName, name, parsed.WithSizes(size, virtualSize).ToString());
            }
            finally
            {
                if (!keep)
                    Posix.Unlink(tmpPath);
            }
        }
        finally
        {
            await input.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static FileStream? OpenOrNull(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The shared detector (MessageClassifier) on the header and, when it fits the look-ahead, the whole body.</summary>
    internal static async Task<bool> LooksEncryptedAsync(FileStream input, MimeLimits limits, CancellationToken ct)
    {
        var read = await MimeHeaderReader.ReadAsync(input, limits, ct).ConfigureAwait(false);
        if (read.Block.Status == HeaderBlockStatus.LimitExceeded)
            return false;
        var byHeaders = MessageClassifier.ClassifyByHeaders(read.Block, limits);
        if (byHeaders is not null)
            return byHeaders.AlreadyEncrypted;
        long bodyLength = input.Length - read.HeaderBytes.Length;
        if (bodyLength > limits.MaxClassifyBytes || bodyLength < read.BodyPrefix.Length)
            return false; // too large to hold: the encryptor's streaming check decides
        var body = new byte[bodyLength];
        read.BodyPrefix.CopyTo(body);
        await input.ReadExactlyAsync(body.AsMemory(read.BodyPrefix.Length), ct).ConfigureAwait(false);
        return MessageClassifier.Classify(read.Block, body, limits).AlreadyEncrypted;
    }

    private async Task CommitLoopAsync(ChannelReader<JournalEntry> reader, CancellationToken ct)
    {
        var batch = new List<JournalEntry>(_options.BatchSize);
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (batch.Count < _options.BatchSize && reader.TryRead(out var e))
                batch.Add(e);
            await CommitAsync(batch, ct).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>Commits one batch (see the class summary for the order of steps and why).</summary>
    internal async Task CommitAsync(IReadOnlyList<JournalEntry> batch, CancellationToken ct)
    {
        CommitJournal.Write(_folder.Path, batch);
        using (var uidLock = await UidListLock.AcquireAsync(_folder.Path, _options.UidListLockTimeout, ct).ConfigureAwait(false))
        {
            var renames = new Dictionary<string, MaildirFileName>(StringComparer.Ordinal);
            var toUnlink = new List<(string Old, string Final)>();
            foreach (var e in batch)
            {
                var wanted = MaildirFileName.Parse(e.NewName)!;
                string? current = CurrentName(e.OldName);
                if (current is null)
                {
                    // Expunged while it was being encrypted: the ciphertext is not needed.
                    Posix.Unlink(Path.Combine(_folder.TmpPath, e.TmpName));
                    Result.AddVanished();
                    continue;
                }

                var currentName = MaildirFileName.Parse(current)!;
                var final = wanted.WithInfoOf(currentName); // flags as they are now
                Posix.Rename(Path.Combine(_folder.TmpPath, e.TmpName), Path.Combine(_folder.CurPath, final.ToString()));
                renames[currentName.Base] = final;
                renames[MaildirFileName.Parse(e.OldName)!.Base] = final;
                toUnlink.Add((current, final.ToString()));
            }

            Posix.SyncDirectory(_folder.CurPath);
            foreach (var (old, final) in toUnlink)
            {
                if (!string.Equals(old, final, StringComparison.Ordinal) && !Posix.Unlink(Path.Combine(_folder.CurPath, old)))
                    RemoveOtherCopies(final); // renamed again (flags) between our look and the unlink
            }

            Posix.SyncDirectory(_folder.CurPath);
            RewriteUidList(uidLock, renames);
        }

        Posix.SyncDirectory(_folder.Path);
        CommitJournal.Delete(_folder.Path);
    }

    /// <summary>
    /// Finishes what an interrupted run left: for each journal entry whose ciphertext reached
    /// cur/, every other file of that message is removed and the uidlist names the ciphertext;
    /// an entry whose rename never happened is undone (its tmp/ file removed). Then this tool's
    /// leftover tmp/ files go.
    /// </summary>
    internal async Task RecoverAsync(CancellationToken ct)
    {
        UidListLock.RemoveLeftovers(_folder.Path);
        var entries = CommitJournal.Read(_folder.Path);
        bool lockLeft = File.Exists(Path.Combine(_folder.Path, UidListLock.FileName)) && UidListLock.IsOurs(Path.Combine(_folder.Path, UidListLock.FileName));
        if (entries.Count > 0 || lockLeft)
        {
            using var uidLock = await UidListLock.AcquireAsync(_folder.Path, _options.UidListLockTimeout, ct).ConfigureAwait(false);
            var renames = new Dictionary<string, MaildirFileName>(StringComparer.Ordinal);
            var byUnique = ListNames(_folder.CurPath).Select(n => (Name: n, Parsed: MaildirFileName.Parse(n)))
                .Where(x => x.Parsed is not null).ToLookup(x => x.Parsed!.Unique, StringComparer.Ordinal);
            foreach (var e in entries)
            {
                var wanted = MaildirFileName.Parse(e.NewName);
                var old = MaildirFileName.Parse(e.OldName);
                if (wanted is null || old is null)
                    continue;
                var files = byUnique[wanted.Unique].ToList();
                var ours = files.FirstOrDefault(f => string.Equals(f.Parsed!.Base, wanted.Base, StringComparison.Ordinal));
                if (ours.Name is null)
                {
                    Posix.Unlink(Path.Combine(_folder.TmpPath, e.TmpName)); // never renamed: the plaintext stays, for this run to encrypt
                    continue;
                }

                foreach (var other in files.Where(f => !string.Equals(f.Name, ours.Name, StringComparison.Ordinal)))
                {
                    Posix.Unlink(Path.Combine(_folder.CurPath, other.Name));
                    renames[other.Parsed!.Base] = ours.Parsed!;
                }

                renames[old.Base] = ours.Parsed!;
                Posix.Unlink(Path.Combine(_folder.TmpPath, e.TmpName));
                Result.AddRecovered(1);
            }

            Posix.SyncDirectory(_folder.CurPath);
            RewriteUidList(uidLock, renames);
            Posix.SyncDirectory(_folder.Path);
            CommitJournal.Delete(_folder.Path);
        }

        foreach (string name in ListNames(_folder.TmpPath))
        {
            if (name.StartsWith(TmpPrefix, StringComparison.Ordinal))
                Posix.Unlink(Path.Combine(_folder.TmpPath, name));
        }
    }

    private void RewriteUidList(UidListLock uidLock, Dictionary<string, MaildirFileName> renames)
    {
        string uidListPath = Path.Combine(_folder.Path, UidList.FileName);
        if (renames.Count == 0 || !File.Exists(uidListPath))
            return;
        if (new FileInfo(uidListPath).Length > UidList.MaxBytes)
            throw new IOException($"{uidListPath} is over {UidList.MaxBytes} bytes");
        string? text = UidList.Rename(File.ReadAllText(uidListPath), renames);
        if (text is not null)
            uidLock.CommitUidList(text, uidListPath);
    }

    /// <summary>The message's name in cur/ now: the old one, or (flags changed since) another with the same unique part.</summary>
    private string? CurrentName(string oldName)
    {
        if (File.Exists(Path.Combine(_folder.CurPath, oldName)))
            return oldName;
        var unique = MaildirFileName.Parse(oldName)!.Unique;
        return ListNames(_folder.CurPath).FirstOrDefault(n => MaildirFileName.Parse(n) is { } p && string.Equals(p.Unique, unique, StringComparison.Ordinal));
    }

    /// <summary>
    /// The plaintext was renamed again (a client changed its flags) after we looked: the
    /// ciphertext takes its flags (the newer ones) and the plaintext goes.
    /// </summary>
    private void RemoveOtherCopies(string final)
    {
        var ours = MaildirFileName.Parse(final)!;
        string current = final;
        foreach (string n in ListNames(_folder.CurPath))
        {
            if (string.Equals(n, current, StringComparison.Ordinal) || MaildirFileName.Parse(n) is not { } p || !string.Equals(p.Unique, ours.Unique, StringComparison.Ordinal))
                continue;
            string adopted = ours.WithInfoOf(p).ToString();
            if (!string.Equals(adopted, current, StringComparison.Ordinal))
            {
                Posix.Rename(Path.Combine(_folder.CurPath, current), Path.Combine(_folder.CurPath, adopted));
                current = adopted;
            }

            Posix.Unlink(Path.Combine(_folder.CurPath, n));
        }
    }

    internal static List<string> ListNames(string directory)
    {
        if (!Directory.Exists(directory))
            return [];
        return new DirectoryInfo(directory).EnumerateFiles().Select(f => f.Name).Where(n => n.Length > 0 && n[0] != '.').ToList();
    }
}
