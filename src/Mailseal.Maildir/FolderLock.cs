using System.Diagnostics;

namespace Mailseal.Maildir;

/// <summary>
/// The tool's own lock on one Maildir folder (flock(2) on mailseal-maildir.lock, which .NET
/// takes for <see cref="FileShare.None"/>): two runs (the imapsieve trigger and the timer) never
/// work on one folder at once. The kernel drops it when the process dies, even by SIGKILL, so a
/// crashed run never blocks the next one.
/// </summary>
internal sealed class FolderLock : IDisposable
{
    /// <summary>The lock file's name in the folder.</summary>
    public const string FileName = "mailseal-maildir.lock";

    private readonly FileStream _file;

    private FolderLock(FileStream file) => _file = file;

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/> for another run to finish.</summary>
    /// <exception cref="TimeoutException">Another run held it for the whole timeout.</exception>
    public static async Task<FolderLock> AcquireAsync(string folder, TimeSpan timeout, CancellationToken ct)
    {
        string path = Path.Combine(folder, FileName);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var options = new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                };
                return new FolderLock(new FileStream(path, options));
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"{path}: another mailseal-maildir run held the folder for over {timeout.TotalSeconds:0} s", e);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
