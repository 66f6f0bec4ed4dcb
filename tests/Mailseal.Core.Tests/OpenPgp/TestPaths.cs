namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Where test data and the OpenPGP.js oracle live.</summary>
internal static class TestPaths
{
    public static string OpenPgpData(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "openpgp", name);

    /// <summary>tests/oracles (holding node_modules/openpgp), found by walking up from the test binary.</summary>
    public static string Oracles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "oracles");
            if (Directory.Exists(Path.Combine(candidate, "node_modules", "openpgp")))
                return candidate;
        }

        throw new InvalidOperationException("OpenPGP.js is not installed: tests/oracles/node_modules/openpgp is missing (run tools/install-deps.sh, or npm ci in tests/oracles)");
    }
}
