using System.Globalization;

namespace Mailseal.Benchmarks;

/// <summary>
/// A cgroup of the benchmark's own (cgroup v1's cpuacct hierarchy, or cgroup v2) whose CPU time
/// can be read: the benchmark joins it while it starts the servers it measures (their processes
/// and everything they start later inherit it), then leaves, so its own client work is not
/// counted. CPU time per message read this way does not move with other work on a shared
/// machine, as wall-clock rates do.
/// </summary>
internal sealed class CpuCgroup
{
    private readonly string _path;
    private readonly string _home;

    private CpuCgroup(string path, string home)
    {
        _path = path;
        _home = home;
    }

    /// <summary>Creates the group <paramref name="name"/>, or returns null (and why) when no writable CPU accounting is there.</summary>
    public static (CpuCgroup? Group, string? Why) TryCreate(string name)
    {
        string hierarchy;
        string? home;
        if (File.Exists("/sys/fs/cgroup/cpuacct/cpuacct.usage"))
        {
            hierarchy = "/sys/fs/cgroup/cpuacct";
            home = File.ReadLines("/proc/self/cgroup").Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains("cpuacct"))?[2];
        }
        else if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            hierarchy = "/sys/fs/cgroup";
            home = File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        }
        else
        {
            return (null, "no cgroup v1 cpuacct or cgroup v2 hierarchy");
        }

        if (home is null)
            return (null, "this process's cgroup is not in /proc/self/cgroup");
        try
        {
            string path = Path.Combine(hierarchy, name);
            Directory.CreateDirectory(path);
            var group = new CpuCgroup(path, Path.Combine(hierarchy, home.TrimStart('/')));
            return group.Usage() is null ? (null, $"{path} has no CPU usage file") : (group, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The group's cgroup.procs: a shell that writes its <c>$$</c> there joins the group (and so does what it starts).</summary>
    public string ProcsFile => Path.Combine(_path, "cgroup.procs");

    /// <summary>Moves this process into the group: what it starts from now on is counted.</summary>
    public void Join() => File.WriteAllText(ProcsFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Moves this process back where it was; what it started meanwhile stays in the group.</summary>
    public void Leave() => File.WriteAllText(Path.Combine(_home, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    /// <summary>CPU time used by the group's processes so far (cpuacct.usage in ns, or cpu.stat usage_usec), or null.</summary>
    public TimeSpan? Usage()
    {
        try
        {
            string v1 = Path.Combine(_path, "cpuacct.usage");
            if (File.Exists(v1))
                return TimeSpan.FromTicks(long.Parse(File.ReadAllText(v1).Trim(), CultureInfo.InvariantCulture) / 100);
            string v2 = Path.Combine(_path, "cpu.stat");
            string? line = File.Exists(v2) ? File.ReadLines(v2).FirstOrDefault(l => l.StartsWith("usage_usec ", StringComparison.Ordinal)) : null;
            return line is null ? null : TimeSpan.FromMicroseconds(long.Parse(line["usage_usec ".Length..], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Removes the group once its last process has exited (tries for a few seconds; a group still in use stays).</summary>
    public async Task RemoveAsync()
    {
        for (int i = 0; i < 20 && Directory.Exists(_path); i++)
        {
            try
            {
                Directory.Delete(_path);
            }
            catch (IOException)
            {
                await Task.Delay(250);
            }
        }
    }
}
