using System.CommandLine;
using System.Globalization;
using Mailseal.Admin.Accounts;
using Mailseal.Admin.Keys;
using Mailseal.Admin.Output;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Keys;
using Mailseal.Core.OpenPgp;
using Microsoft.Win32.SafeHandles;

namespace Mailseal.Admin;

/// <summary><c>key import DIR</c>: many keys at once, each with the checks of a single import.</summary>
internal sealed partial class AdminCommand
{
    /// <summary>The file name endings a bulk import reads, after the address.</summary>
    private static readonly string[] KeyFileEndings = [".asc", ".gpg", ".pgp"];

    private async Task<int> KeyImportFolderAsync(ParseResult p, string dir, CancellationToken ct)
    {
        if (!Directory.Exists(dir))
        {
            throw AccountStore.Refused(File.Exists(dir)
                ? $"{TextTable.Safe(dir)} is a file: give the address it is for (key import ADDRESS FILE), or a folder of ADDRESS.asc files"
                : $"no folder {TextTable.Safe(dir)} (key import ADDRESS FILE imports one key, key import DIR a folder of ADDRESS.asc files)");
        }

        bool database = UseDatabase(p);
        string keyDir = p.GetValue(_keyDir)!;
        if (!database)
        {
            if (!Directory.Exists(keyDir))
                throw new MailsealException($"the key folder {TextTable.Safe(keyDir)} does not exist (key_dir, --key-dir)", MailsealException.DefaultEnhancedStatusCode, isTransient: false, ExitCodes.Config, null);
            if (string.Equals(Path.GetFullPath(dir).TrimEnd('/'), Path.GetFullPath(keyDir).TrimEnd('/'), StringComparison.Ordinal))
                throw AccountStore.Refused("the folder is the key folder itself: import from another folder, or use --store database");
        }

        // Names only (never the files' contents) are held for the whole run; dot files are
        // temporary files of the key folder's writer, or an editor's.
        List<string> names = [.. Directory.EnumerateFileSystemEntries(dir)
            .Select(e => Path.GetFileName(e))
            .OfType<string>()
            .Where(n => !n.StartsWith('.'))
            .Order(StringComparer.Ordinal)];
        bool json = p.GetValue(_json);
        bool allowOther = p.GetValue(_allowOtherAddress);
        var progress = new ProgressReporter(_context.Error, "key import", names.Count, _errorTerminal || p.GetValue(_progress), _errorTerminal, _time);
        var results = new List<BulkImportResult>(names.Count);
        await using AccountStore? store = database ? AccountStore.Open(p.GetValue(_database)!) : null;
        try
        {
            foreach (string name in names)
            {
                BulkImportResult result = await ImportOneAsync(store, keyDir, dir, name, allowOther, ct).ConfigureAwait(false);
                results.Add(result);
                if (!json)
                    await _context.Out.WriteLineAsync(result.Describe()).ConfigureAwait(false);
                progress.Advance();
            }
        }
        catch (MailsealException e) when (e.ExitCode != ExitCodes.DataError)
        {
            // The database went away, or the key folder cannot be written: every later key would
            // fail the same way. Say how far it got; what was stored stays stored.
            progress.Finish();
            await WriteImportSummaryAsync(results, names.Count, json, ct).ConfigureAwait(false);
            throw;
        }

        progress.Finish();
        await WriteImportSummaryAsync(results, names.Count, json, ct).ConfigureAwait(false);
        return results.Any(r => r.Outcome == BulkImportOutcome.Refused) ? ExitCodes.DataError : ExitCodes.Ok;
    }

    private async Task WriteImportSummaryAsync(List<BulkImportResult> results, int total, bool json, CancellationToken ct)
    {
        int imported = results.Count(r => r.Outcome == BulkImportOutcome.Imported);
        int unchanged = results.Count(r => r.Outcome == BulkImportOutcome.Unchanged);
        int refused = results.Count(r => r.Outcome == BulkImportOutcome.Refused);
        if (json)
        {
            await JsonOutput.WriteAsync(_context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("files", total);
                w.WriteNumber("imported", imported);
                w.WriteNumber("unchanged", unchanged);
                w.WriteNumber("refused", refused);
                w.WriteBoolean("complete", results.Count == total);
                w.WriteStartArray("keys");
                foreach (BulkImportResult r in results)
                {
                    w.WriteStartObject();
                    w.WriteString("file", r.File);
                    if (r.Address is null)
                        w.WriteNull("address");
                    else
                        w.WriteString("address", r.Address);
                    w.WriteString("result", r.Outcome.ToString().ToLowerInvariant());
                    if (r.Fingerprint is { } f)
                        w.WriteString("fingerprint", f);
                    if (r.Reason is { } reason)
                        w.WriteString("reason", reason);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }, ct).ConfigureAwait(false);
            return;
        }

        string stopped = results.Count == total ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; stopped after {results.Count} of {total} files");
        await _context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"key import: {imported} imported, {unchanged} unchanged, {refused} refused, of {total} files{stopped}")).ConfigureAwait(false);
    }

    /// <summary>One file of the folder: read, checked and stored like a single <c>key import</c>; a refusal is the result, not an exception.</summary>
    private async Task<BulkImportResult> ImportOneAsync(AccountStore? store, string keyDir, string dir, string name, bool allowOther, CancellationToken ct)
    {
        string shown = TextTable.Safe(name);
        string? ending = KeyFileEndings.FirstOrDefault(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase) && name.Length > e.Length);
        if (ending is null)
            return BulkImportResult.Refused(shown, null, "not ADDRESS.asc, ADDRESS.gpg or ADDRESS.pgp");
        if (!AccountAddress.TryParse(name[..^ending.Length], out string? email, out string? error))
            return BulkImportResult.Refused(shown, null, "the name is not an address: " + TextTable.Safe(error));

        string path = Path.Join(dir, name);
        if (new FileInfo(path).LinkTarget is not null)
            return BulkImportResult.Refused(shown, email, "a symlink (an alias in a key folder?): not followed; import the file it points to under the alias's own name, or make the alias with alias add");

        byte[] data;
        try
        {
            string? problem = ReadRegularFile(path, out data);
            if (problem is not null)
                return BulkImportResult.Refused(shown, email, problem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return BulkImportResult.Refused(shown, email, "cannot be read: " + TextTable.Safe(e.Message));
        }

        Certificate certificate;
        try
        {
            certificate = KeyCheck.Accept(data, email, _time.GetUtcNow(), allowOther);
        }
        catch (FormatException e)
        {
            return BulkImportResult.Refused(shown, email, TextTable.Safe(e.Message));
        }

        string armored = ArmorWriter.PublicKeyBlock(certificate.Encoded.Span);
        try
        {
            if (store is not null)
            {
                string noAccount = $"there is no account {email} (keys in the database belong to accounts: user add)";
                if (await store.GetKeyAsync(email, ct).ConfigureAwait(false) is not { } existing)
                    return BulkImportResult.Refused(shown, email, noAccount);
                if (string.Equals(existing.Key, armored, StringComparison.Ordinal) && string.Equals(existing.Fingerprint, certificate.FingerprintHex, StringComparison.OrdinalIgnoreCase))
                    return new BulkImportResult(shown, email, BulkImportOutcome.Unchanged, certificate.FingerprintHex, null);
                if (!await store.SetKeyAsync(email, armored, certificate.FingerprintHex, ct).ConfigureAwait(false))
                    return BulkImportResult.Refused(shown, email, noAccount);
            }
            else
            {
                string target = KeyFolderWriter.PathFor(keyDir, email);
                if (File.Exists(target) && new FileInfo(target).Length <= KeyCheck.MaxKeyBytes
                    && string.Equals(await File.ReadAllTextAsync(target, ct).ConfigureAwait(false), armored, StringComparison.Ordinal))
                {
                    return new BulkImportResult(shown, email, BulkImportOutcome.Unchanged, certificate.FingerprintHex, null);
                }

                KeyFolderWriter.Write(keyDir, email, armored);
            }
        }
        catch (FormatException e)
        {
            return BulkImportResult.Refused(shown, email, TextTable.Safe(e.Message));
        }
        catch (MailsealException e) when (e.ExitCode == ExitCodes.DataError)
        {
            return BulkImportResult.Refused(shown, email, TextTable.Safe(e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The key folder is shared by every key: a write failure here stops the run.
            throw new MailsealException($"key folder {TextTable.Safe(keyDir)}: {e.Message}", MailsealException.DefaultEnhancedStatusCode, isTransient: true, ExitCodes.TempFail, e);
        }

        return new BulkImportResult(shown, email, BulkImportOutcome.Imported, certificate.FingerprintHex, null);
    }

    /// <summary>
    /// Reads a key file without ever blocking on it (a FIFO or a device in the folder is refused
    /// by type, through the opener the key folder lookup itself uses) and at most
    /// <see cref="KeyCheck.MaxKeyBytes"/>; null, or why the file was not read.
    /// </summary>
    internal static string? ReadRegularFile(string path, out byte[] data)
    {
        data = [];
        KeyFileOpener.Result opened = KeyFileOpener.Open(path);
        if (opened.NotFound)
            return "vanished while the folder was read";
        if (opened.Handle is null)
            return opened.Problem;
        using SafeFileHandle handle = opened.Handle;
        long length = RandomAccess.GetLength(handle);
        if (length > KeyCheck.MaxKeyBytes)
            return $"larger than {KeyCheck.MaxKeyBytes} bytes";
        byte[] buffer = new byte[length];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
            if (n == 0)
                break;
            read += n;
        }

        data = read == buffer.Length ? buffer : buffer[..read];
        return null;
    }
}
