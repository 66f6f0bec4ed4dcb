using System.Diagnostics;
using Mailseal.Pipeline.Scrub;

namespace Mailseal.Pipeline.Tests.Scrub;

/// <summary>The generated table is checked by Postfix's own postmap with its pcre map type.</summary>
public class PostfixHeaderChecksTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-pcre").FullName;
    private readonly string _table;

    public PostfixHeaderChecksTests()
    {
        _table = Path.Combine(_dir, "header_checks.pcre");
        File.WriteAllText(_table, PostfixHeaderChecks.Generate(ScrubRules.Default));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Exit, string Output) Query(string header)
    {
        const string postmap = "/usr/sbin/postmap";
        Assert.True(File.Exists(postmap), "postmap not found: run tools/install-deps.sh (Debian package postfix, postfix-pcre)");
        var psi = new ProcessStartInfo(postmap) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-q", header, "pcre:" + _table })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "postmap hung");
        Assert.True(error.Length == 0, "postmap complained: " + error);
        return (p.ExitCode, output.TrimEnd('\n'));
    }

    [Theory]
    [InlineData("User-Agent: Mozilla Thunderbird")]
    [InlineData("X-Mailer: Foo 1.0")]
    [InlineData("X-Enigmail: Version 2")]
    [InlineData("x-originating-ip: [203.0.113.5]")]
    public void DropRulesBecomeIgnore(string header) => Assert.Equal((0, "IGNORE"), Query(header));

    [Fact]
    public void An_authenticated_received_is_rewritten_with_its_continuation_lines_kept()
    {
        var (exit, output) = Query("Received: from laptop.home (host.example.net [203.0.113.5])\n\tby mail.example.org (Postfix) with ESMTPSA id 4Fz\n\tfor <bob@example.net>; Sun, 22 Nov 2026 02:00:00 +0000");
        Assert.Equal(0, exit);
        Assert.Equal("REPLACE Received: from [127.0.0.1] (localhost [127.0.0.1])\n\tby mail.example.org (Postfix) with ESMTPSA id 4Fz\n\tfor <bob@example.net>; Sun, 22 Nov 2026 02:00:00 +0000", output);
    }

    [Theory]
    [InlineData("Received: from mx.example.com (mx.example.com [192.0.2.1])\n\tby mail.example.org (Postfix) with ESMTPS id 1")]
    [InlineData("Subject: with ESMTPSA")]
    [InlineData("User-Agentx: not the same field")]
    public void OtherFieldsAreNotTouched(string header) => Assert.Equal(1, Query(header).Exit);
}
