using System.Net;
using System.Text;
using Mailseal.Dns.Spf;
using Xunit.Abstractions;

namespace Mailseal.Dns.Tests.Spf;

/// <summary>
/// Runs every case of the openspf.org RFC 7208 and RFC 4408 suites through <see cref="SpfEvaluator"/>
/// on an in-memory zone, prints "N passed, M failed" per file with each failing case named, and
/// requires all of them to pass.
/// </summary>
public sealed class SpfConformanceTests
{
    private readonly ITestOutputHelper _output;

    public SpfConformanceTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("rfc7208-tests.yml", 203)]
    [InlineData("rfc4408-tests.yml", 191)]
    public async Task Every_case_of_the_suite_passes(string file, int expectedCases)
    {
        string path = Path.Combine(RepositoryPaths.SpfConformance, file);
        Assert.True(File.Exists(path), $"conformance suite missing: {path}");
        IReadOnlyList<SpfTestCase> cases = SpfTestSuite.Load(path);

        var failures = new List<string>();
        foreach (SpfTestCase test in cases)
        {
            string? failure = await RunAsync(test);
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        var report = new StringBuilder();
        report.Append(file).Append(": ").Append(cases.Count - failures.Count).Append(" passed, ").Append(failures.Count).AppendLine(" failed");
        foreach (string failure in failures)
        {
            report.Append("  FAIL ").AppendLine(failure);
        }

        _output.WriteLine(report.ToString());
        Assert.Equal(expectedCases, cases.Count);
        Assert.True(failures.Count == 0, report.ToString());
    }

    private static async Task<string?> RunAsync(SpfTestCase test)
    {
        var evaluator = new SpfEvaluator(test.Zone, new SpfOptions
        {
            ReceivingHost = "receivingdomain.example",

            // The suite writes "explanation: DEFAULT" where the implementation's default explanation is expected.
            DefaultExplanation = "DEFAULT",
        });
        SpfResult result = await evaluator.CheckMailFromAsync(IPAddress.Parse(test.Host), test.MailFrom, test.Helo, CancellationToken.None);
        string got = result.CodeName;
        if (!test.Results.Contains(got))
        {
            return $"{test.Name} [{test.Scenario}]: expected {string.Join(" or ", test.Results)}, got {result}";
        }

        if (test.Explanation is not null && got == "fail" && result.Explanation != test.Explanation)
        {
            return $"{test.Name} [{test.Scenario}]: explanation expected '{test.Explanation}', got '{result.Explanation}'";
        }

        return null;
    }
}
