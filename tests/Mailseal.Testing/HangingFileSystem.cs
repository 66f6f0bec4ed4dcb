using System.Diagnostics;

namespace Mailseal.Testing;

/// <summary>
/// A mounted FUSE file system (TestData/hangfs.py, on python3-fusepy) in which every name is a
/// regular file whose read(2) never returns, or, for a name holding <c>hang-open</c>, whose
/// open(2) never returns: what a key file on a hung NFS server looks like to a filter. Needs
/// root, /dev/fuse and python3-fusepy (tools/install-deps.sh installs it); when one is missing
/// the mount fails and the test fails with the reason, it is never skipped. Disposing kills the
/// file system's process (which aborts every request still waiting in it) and unmounts it.
/// </summary>
public sealed class HangingFileSystem : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private HangingFileSystem(string mountPoint, Process process)
    {
        MountPoint = mountPoint;
        _process = process;
    }

    /// <summary>The folder the file system is mounted on.</summary>
    public string MountPoint { get; }

    /// <summary>Mounts a new file system on <paramref name="mountPoint"/> (created if missing) and waits until it serves.</summary>
    /// <exception cref="OracleException">It did not come up within 20 s; the message holds its stderr.</exception>
    public static async Task<HangingFileSystem> MountAsync(string mountPoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(mountPoint);
        Directory.CreateDirectory(mountPoint);
        string script = Path.Combine(AppContext.BaseDirectory, "TestData", "hangfs.py");
        // Debian's python3, where python3-fusepy is installed (not one earlier on PATH, such as pyenv's).
        var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : ProgramLocator.Require("python3"))
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(mountPoint);
        var process = Process.Start(start) ?? throw new OracleException("cannot start python3 " + script);
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!IsMounted(mountPoint))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                string reason = await stderr;
                process.Dispose();
                throw new OracleException(
                    $"the FUSE test file system did not mount on {mountPoint} (needs root, /dev/fuse and python3-fusepy: tools/install-deps.sh): {reason}");
            }

            await Task.Delay(50);
        }

        return new HangingFileSystem(mountPoint, process);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        if (IsMounted(MountPoint))
            await ProcessRunner.RunAsync(new ProcessRequest("umount", ["-l", MountPoint]) { Timeout = TimeSpan.FromSeconds(20) });
    }

    private static bool IsMounted(string mountPoint)
    {
        string full = Path.GetFullPath(mountPoint).TrimEnd('/');
        // /proc/self/mountinfo: the fifth field is the mount point (octal escapes for blanks, which test folders do not have).
        return File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ') is { Length: > 4 } f && f[4] == full);
    }
}
