namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>The harness fails loudly: a missing program or a server that will not start is an error with the reason and the log.</summary>
[Collection(MailStackCollection.Name)]
public sealed class FailureReportingTests
{
    private readonly MailStack _stack;

    public FailureReportingTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task A_missing_program_fails_with_its_name()
    {
        // the shared runner (tests/Mailseal.Testing) names the program and the fix
        var e = await Assert.ThrowsAsync<OracleException>(() => ProcessRunner.RunAsync("mailseal-no-such-program", []));
        Assert.Contains("mailseal-no-such-program not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("tools/install-deps.sh", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_will_not_start_fails_with_its_log()
    {
        // a second postmaster on the same data directory refuses to start
        var pid = _stack.PidOf(MailService.Postgres);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _stack.StartServiceAsync(MailService.Postgres));
        Assert.Contains("pg_ctl start exited", e.Message, StringComparison.Ordinal);
        Assert.Contains("postgresql.log", e.Message, StringComparison.Ordinal);
        Assert.Contains("another server", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(pid, _stack.PidOf(MailService.Postgres));
        Assert.True(_stack.IsRunning(MailService.Postgres));
    }
}
