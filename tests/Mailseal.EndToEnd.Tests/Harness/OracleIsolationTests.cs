using System.Text.RegularExpressions;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// MailKit and DnsClient are the tests' independent oracles: a product project that referenced
/// them would make the oracle and the product share code (and DnsClient's resolver is not fit
/// for production: src/Mailseal.Dns/StubResolver.cs says why).
/// </summary>
public sealed partial class OracleIsolationTests
{
    [Fact]
    public void No_project_under_src_references_MailKit_or_DnsClient()
    {
        var src = Path.Combine(MailStack.RepositoryRoot, "src");
        var files = Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(src, "Directory.*.props", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);
        var offenders = files.Where(f => OracleReference().IsMatch(File.ReadAllText(f))).ToList();
        Assert.True(offenders.Count == 0, "MailKit or DnsClient referenced by product code: " + string.Join(", ", offenders));
    }

    [Fact]
    public void The_end_to_end_project_does_reference_them()
    {
        var csproj = File.ReadAllText(Path.Combine(MailStack.RepositoryRoot, "tests", "Mailseal.EndToEnd.Tests", "Mailseal.EndToEnd.Tests.csproj"));
        Assert.Matches(@"PackageReference Include=""MailKit""", csproj);
        Assert.Matches(@"PackageReference Include=""DnsClient""", csproj);
    }

    [GeneratedRegex(@"Include=""(MailKit|DnsClient)""", RegexOptions.IgnoreCase)]
    private static partial Regex OracleReference();
}
