using Xunit.Abstractions;

namespace Mailseal.Benchmarks;

/// <summary>
/// The diagnostic sink the end-to-end <c>MailStack</c> wants when a benchmark, not xunit, runs
/// it: the stack writes every report to stderr as well (<c>[mailseal-e2e] ...</c>), so the
/// messages need no second home here.
/// </summary>
// xUnit3000 wants sinks that cross xunit's app-domain boundary to be MarshalByRef; this one
// lives in the benchmark's process, where xunit never runs.
#pragma warning disable xUnit3000
internal sealed class QuietMessageSink : IMessageSink
#pragma warning restore xUnit3000
{
    /// <inheritdoc />
    public bool OnMessage(IMessageSinkMessage message) => true;
}
