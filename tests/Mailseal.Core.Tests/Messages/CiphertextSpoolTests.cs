using Mailseal.Core.Messages;

namespace Mailseal.Core.Tests.Messages;

public sealed class CiphertextSpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-spool-test.").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Beyond_the_threshold_the_spool_is_an_unlinked_0600_file_and_reads_back_whole()
    {
        if (!OperatingSystem.IsLinux())
            throw new Xunit.Sdk.XunitException("this test reads /proc");
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        using var spool = new CiphertextSpool(memoryThreshold: 1000, _dir);
        await spool.WriteAsync(data.AsMemory(0, 500));
        Assert.False(spool.IsOnDisk);
        await spool.WriteAsync(data.AsMemory(500));
        Assert.True(spool.IsOnDisk);

        Assert.Empty(Directory.GetFileSystemEntries(_dir)); // no name points at it
        var fd = Directory.GetFiles("/proc/self/fd")
            .Select(f => (Fd: f, Target: new FileInfo(f).LinkTarget))
            .Single(x => x.Target is not null && x.Target.StartsWith(_dir, StringComparison.Ordinal));
        Assert.EndsWith("(deleted)", fd.Target, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fd.Fd));

        var back = new MemoryStream();
        await spool.WriteToAsync(back, CancellationToken.None);
        Assert.Equal(data, back.ToArray());
    }

    [Fact]
    public async Task Below_the_threshold_nothing_touches_the_disk()
    {
        using var spool = new CiphertextSpool(memoryThreshold: 1 << 20, _dir);
        await spool.WriteAsync(new byte[1000]);
        Assert.False(spool.IsOnDisk);
        var back = new MemoryStream();
        await spool.WriteToAsync(back, CancellationToken.None);
        Assert.Equal(1000, back.Length);
    }
}
