using System.Text.Json;
using System.Text.RegularExpressions;
using Mailseal.Testing;

namespace Mailseal.Spfd.Tests;

/// <summary>
/// mailseal-spfd and the real policyd-spf decision code (spf_engine and pyspf from
/// postfix-policyd-spf-python, run by tests/.../TestData/policyd_spf_oracle.py) answer the same
/// requests in the same DNS world: every combination of a HELO result and a MAIL FROM result
/// (none, pass, or the null sender) must give the same action and the same Received-SPF result,
/// comment and identity. Differences kept on purpose and so not compared: the wording of an
/// error's detail (pyspf's messages are its own), and receiver= (policyd-spf writes the whole
/// recipient address into a header every recipient of the message sees; mailseal-spfd writes its domain).
/// </summary>
public sealed partial class PolicydSpfParityTests
{
    private static readonly string[] Helos = ["pass.example", "fail.example", "soft.example", "neutral.example", "perm.example", "temp.example", "none.example"];
    private static readonly string[] Senders = ["a@none.example", "a@pass.example", "a@temp.example", ""];

    [Theory]
    [InlineData("False", "False")]
    [InlineData("Fail", "Fail")]
    [InlineData("SPF_Not_Pass", "False")]
    public async Task Every_helo_and_mail_from_result_gives_policyd_spfs_action_and_header(string heloReject, string mailFromReject)
    {
        var cases = (from helo in Helos from sender in Senders select (Helo: helo, Sender: sender)).ToList();
        var world = new
        {
            records = new Dictionary<string, string>
            {
                ["pass.example"] = "v=spf1 ip4:192.0.2.0/24 -all",
                ["fail.example"] = "v=spf1 -all",
                ["soft.example"] = "v=spf1 ~all",
                ["neutral.example"] = "v=spf1 ?all",
                ["perm.example"] = "v=spf1 foo:bar -all",
            },
            timeouts = new[] { "temp.example" },
            cases = cases.Select((c, i) => new Dictionary<string, string>
            {
                ["client"] = TestZone.Client,
                ["helo"] = c.Helo,
                ["sender"] = c.Sender,
                ["recipient"] = "bob@example.org",
                ["instance"] = $"i{i}",
                ["helo_reject"] = heloReject,
                ["mail_from_reject"] = mailFromReject,
            }).ToList(),
        };
        string oracle = Path.Combine(AppContext.BaseDirectory, "TestData", "policyd_spf_oracle.py");
        // The interpreter /usr/bin/policyd-spf names in its #! line (Debian's, with spf_engine and pyspf).
        var run = await ProcessRunner.RunAsync("/usr/bin/python3", [oracle], JsonSerializer.Serialize(world));
        Assert.True(run.ExitCode == 0, $"policyd-spf's spf_engine did not run (install postfix-policyd-spf-python): {run.StandardError}");
        var theirs = JsonSerializer.Deserialize<List<List<string>>>(run.StandardOutput)!;

        var settings = new SpfdSettings
        {
            HeloReject = Policy(heloReject),
            MailFromReject = Policy(mailFromReject),
            AuthservId = "mx.test.example",
        };
        var handler = TestZone.Handler(settings);
        var differences = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var (helo, sender) = cases[i];
            string ours = await handler.AskAsync(TestZone.Request(sender, helo: helo));
            string expected = Comparable(theirs[i][0], theirs[i][1]);
            string actual = Comparable(ours);
            if (expected != actual)
                differences.Add($"HELO {helo}, MAIL FROM <{sender}>: policyd-spf {expected} | mailseal-spfd {actual}");
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    private static RejectPolicy Policy(string name) => name switch
    {
        "Fail" => RejectPolicy.Fail,
        "SPF_Not_Pass" => RejectPolicy.SpfNotPass,
        _ => RejectPolicy.False,
    };

    // policyd-spf returns (action, text); Postfix reads "prepend" as PREPEND and "reject" as a
    // 550 with the text. Compared: the action, and for a header its result, comment (an error's
    // detail cut at its colon), identity, helo= and envelope-from=.
    private static string Comparable(string action, string text) => action.ToUpperInvariant() switch
    {
        "PREPEND" => Comparable("PREPEND " + text),
        "REJECT" => "REJECT",
        "DEFER" => "DEFER",
        var other => other + " " + text,
    };

    private static string Comparable(string answer)
    {
        if (answer.StartsWith("550 ", StringComparison.Ordinal))
            return "REJECT";
        if (answer.StartsWith("DEFER", StringComparison.Ordinal))
            return "DEFER";
        var m = HeaderPattern().Match(answer);
        if (!m.Success)
            return answer;
        string comment = m.Groups["comment"].Value;
        if (comment.StartsWith("SPF Temporary Error:", StringComparison.Ordinal) || comment.StartsWith("SPF Permanent Error:", StringComparison.Ordinal))
            comment = comment[..comment.IndexOf(':', StringComparison.Ordinal)];
        return $"PREPEND {m.Groups["result"].Value} ({comment}) identity={m.Groups["identity"].Value}; helo={m.Groups["helo"].Value}; envelope-from={m.Groups["from"].Value}";
    }

    [GeneratedRegex(@"^PREPEND Received-SPF: (?<result>\w+) \((?<comment>[^)]*)\) identity=(?<identity>\w+); client-ip=[^;]+; helo=(?<helo>[^;]+); envelope-from=(?<from>[^;]+);")]
    private static partial Regex HeaderPattern();
}
