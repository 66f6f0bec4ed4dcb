using System.Diagnostics;
using Serilog;

namespace Mailseal.Greyd;

/// <summary>
/// <c>--import-postgrey DIR</c>: takes over a postgrey database (DIR/postgrey.db, the learned
/// triplets, and DIR/postgrey_clients.db, the automatic client whitelist) by reading them with
/// <c>db_dump -p</c> and adding them to the store; rows the store already has win. Keys are
/// taken as they are, so a database postgrey kept with <c>--privacy</c> needs <c>--privacy</c>
/// here too. Values that are not postgrey's <c>N,N</c> are skipped and counted.
/// </summary>
internal static class PostgreyImport
{
    public static async Task<(long Triplets, long Clients, long Skipped)> RunAsync(string directory, string dbDump, IGreylistStore store, TimeSpan timeout, ILogger log, CancellationToken cancellationToken)
    {
        var main = Path.Combine(directory, "postgrey.db");
        if (!File.Exists(main))
            throw new IOException($"{main}: no postgrey database there");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        long skipped = 0;
        var triplets = new List<KeyValuePair<string, (long, long)>>();
        await foreach (var (key, value) in DumpAsync(dbDump, main, limit.Token).ConfigureAwait(false))
        {
            if (DbDumpReader.TryParsePair(value, out var first, out var last))
                triplets.Add(new(key, (first, last)));
            else
                skipped++;
        }

        var clients = new List<KeyValuePair<string, (long, long)>>();
        var cawl = Path.Combine(directory, "postgrey_clients.db");
        if (File.Exists(cawl))
        {
            await foreach (var (key, value) in DumpAsync(dbDump, cawl, limit.Token).ConfigureAwait(false))
            {
                if (DbDumpReader.TryParsePair(value, out var count, out var last))
                    clients.Add(new(key, (count, last)));
                else
                    skipped++;
            }
        }

        var (t, c) = await store.ImportAsync(triplets, clients, limit.Token).ConfigureAwait(false);
        log.Information("imported from {Directory}: {Triplets} of {TripletsRead} triplets, {Clients} of {ClientsRead} clients ({Skipped} unreadable values skipped; rows already present kept)",
            directory, t, triplets.Count, c, clients.Count, skipped);
        return (t, c, skipped);
    }

    private static async IAsyncEnumerable<KeyValuePair<string, string>> DumpAsync(string dbDump, string file, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(dbDump)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-p");
        info.ArgumentList.Add(file);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot run {dbDump} (Debian package db-util): {e.Message}", e);
        }

        process.StandardInput.Close();
        var stderr = ReadBoundedAsync(process.StandardError, cancellationToken);
        try
        {
            await foreach (var pair in DbDumpReader.ReadAsync(process.StandardOutput, cancellationToken).ConfigureAwait(false))
                yield return pair;
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new IOException($"{dbDump} {file} exited {process.ExitCode}: {errors.Trim()}");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var buffer = new char[4096];
        var sb = new System.Text.StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (sb.Length < 4096)
                sb.Append(buffer, 0, Math.Min(n, 4096 - sb.Length));
        }

        return sb.ToString();
    }
}
