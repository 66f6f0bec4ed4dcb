namespace Mailseal.Dns.Tests;

/// <summary>Finds the repository root (the folder holding Toolkit.sln) and the shared folder beside it.</summary>
internal static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"no Toolkit.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>../shared/conformance/spf relative to the repository root (CI clones the repo beside shared/).</summary>
    public static string SpfConformance => Path.GetFullPath(Path.Combine(Root, "..", "shared", "conformance", "spf"));
}
