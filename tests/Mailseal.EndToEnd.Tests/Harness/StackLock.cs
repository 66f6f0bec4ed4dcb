namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// A machine-wide lock (flock on a file under <see cref="MailStack.RootDirectory"/>) around the
/// few steps several concurrent test runs share: system users, the template cluster, the
/// alternate_config_directories line of /etc/postfix/main.cf, and stale-run cleanup.
/// </summary>
internal sealed class StackLock : IDisposable
{
    private readonly FileStream _stream;

    private StackLock(FileStream stream) => _stream = stream;

    /// <summary>Waits up to two minutes for the lock.</summary>
    public static async Task<StackLock> AcquireAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(MailStack.RootDirectory);
        var path = Path.Combine(MailStack.RootDirectory, "lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                return new StackLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
