using System.Text;

namespace Mailseal.Policy.Tests;

public class PolicyServerReplayTests
{
    [Theory]
    [InlineData("postfix37-rcpt.txt", true)]
    [InlineData("several-requests.txt", true)]
    [InlineData("unknown-attributes.txt", true)]
    [InlineData("injection.txt", true)]
    [InlineData("malformed-no-equals.txt", false)]
    [InlineData("eof-mid-request.txt", false)]
    [InlineData("empty-request.txt", false)]
    public async Task Replays_transcript_exactly(string name, bool clean)
    {
        var transcript = ReplayTranscript.Load(name);
        var log = new TestLog();
        var server = new PolicyServer(new EchoHandler(), new PolicyServerOptions(), log.Logger);
        using var output = new MemoryStream();

        var ok = await server.ServeConnectionAsync(new ChunkedStream(transcript.Client), output, "test", CancellationToken.None);

        Assert.Equal(transcript.Server, Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(clean, ok);
        if (!clean)
            Assert.Contains(log.Lines, l => l.Contains("disconnecting without reply", StringComparison.Ordinal));
    }
}
