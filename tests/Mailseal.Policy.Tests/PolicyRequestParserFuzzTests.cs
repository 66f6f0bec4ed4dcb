using System.Text;

namespace Mailseal.Policy.Tests;

/// <summary>
/// The parser both servers share, fed mutated Postfix requests the way an attacker would send
/// them: bare CR and CRLF line ends, NUL and DEL, stray '=' and blank lines, bytes that are not
/// UTF-8, lines around the length limit, too many attributes, cut-off input, several requests
/// in one write. The event loop hands it whatever one recv returned, the asynchronous reader
/// whatever a stream read returned: so for every input, the outcome (each request, then the end
/// or the one error) must not depend on how the bytes were split, and must be the same through
/// <see cref="PolicyRequestReader"/>. Every request let through must keep the limits and hold no
/// byte that could start another line.
/// </summary>
public class PolicyRequestParserFuzzTests
{
    // Small limits, so mutations cross them often.
    private static readonly PolicyServerOptions Options = new() { MaxLineLength = 64, MaxAttributes = 8, MaxRequestBytes = 256 };

    private static readonly string[] Lines =
    [
        "request=smtpd_access_policy", "protocol_state=RCPT", "protocol_name=ESMTP", "client_address=192.0.2.1",
        "client_name=mx.example.com", "helo_name=mx.example.com", "sender=alice@example.com",
        "recipient=bob@example.org", "instance=123.4567.8", "queue_id=", "size=1234", "x.y-z_1=ü",
    ];

    private static readonly byte[] Interesting = [0x00, (byte)'\r', (byte)'\n', (byte)'=', 0x7f, 0xc3, 0xa9, 0xff, 0x80, (byte)'\t', (byte)' ', (byte)'a', 0x1b];

    private static byte[] Mutate(Random random)
    {
        var text = new StringBuilder();
        var requests = 1 + random.Next(3);
        for (var r = 0; r < requests; r++)
        {
            var count = 1 + random.Next(10);
            for (var i = 0; i < count; i++)
                text.Append(Lines[random.Next(Lines.Length)]).Append(random.Next(4) == 0 ? "\r\n" : "\n");
            if (random.Next(8) == 0)
                text.Append("long=").Append('v', 55 + random.Next(10)).Append('\n');
            text.Append(random.Next(4) == 0 ? "\r\n" : "\n");
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString()).ToList();
        var mutations = random.Next(4);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 1:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 2:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(20)));
                    break;
                case 3:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, 1 + random.Next(40))));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    private static string Describe(PolicyRequest request) =>
        string.Join("\u0001", request.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value));

    /// <summary>What the parser makes of <paramref name="bytes"/> given at most <paramref name="chunk"/> bytes at a time.</summary>
    private static List<string> Parse(byte[] bytes, Func<int> chunk, List<PolicyRequest>? accepted = null)
    {
        var parser = new PolicyRequestParser(Options);
        var outcome = new List<string>();
        var position = 0;
        try
        {
            while (true)
            {
                while (parser.TryTake() is { } request)
                {
                    outcome.Add(Describe(request));
                    accepted?.Add(request);
                }

                if (position == bytes.Length)
                {
                    outcome.Add(parser.IsEmpty ? "end" : "end: " + parser.ClosedInsideMessage);
                    return outcome;
                }

                var space = parser.FreeSpace();
                var n = Math.Min(Math.Min(chunk(), space.Length), bytes.Length - position);
                bytes.AsSpan(position, n).CopyTo(space.Span);
                parser.Advance(n);
                position += n;
            }
        }
        catch (PolicyProtocolException e)
        {
            outcome.Add("error: " + e.Message);
            return outcome;
        }
    }

    private static async Task<List<string>> ReadAsync(byte[] bytes)
    {
        using var reader = new PolicyRequestReader(new ChunkedStream(bytes), Options);
        var outcome = new List<string>();
        try
        {
            while (await reader.ReadAsync(CancellationToken.None) is { } request)
                outcome.Add(Describe(request));
            outcome.Add("end");
        }
        catch (PolicyProtocolException e)
        {
            // The reader ends a cut-off request with the parser's own message.
            outcome.Add(e.Message.StartsWith("connection closed inside", StringComparison.Ordinal) ? "end: " + e.Message : "error: " + e.Message);
        }

        return outcome;
    }

    [Fact]
    public async Task Every_mutation_parses_the_same_however_it_is_split_and_through_the_reader()
    {
        var random = new Random(20261205);
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = Mutate(random);
            var accepted = new List<PolicyRequest>();
            var whole = Parse(bytes, () => int.MaxValue, accepted);
            var split = random.Next(1, 12);
            Assert.Equal(whole, Parse(bytes, () => 1 + random.Next(split)));
            Assert.Equal(whole, Parse(bytes, () => 1));
            Assert.Equal(whole, await ReadAsync(bytes));

            foreach (var request in accepted)
            {
                Assert.InRange(request.Attributes.Count, 1, Options.MaxAttributes);
                Assert.True(request.Attributes.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value) + 2) <= Options.MaxRequestBytes);
                foreach (var (name, value) in request.Attributes)
                {
                    Assert.Matches("^[A-Za-z0-9_.-]+$", name);
                    Assert.DoesNotContain(value, c => (c < 0x20 && c != '\t') || c == 0x7f || c == '\uFFFD');
                    Assert.True(Encoding.UTF8.GetByteCount(name) + 1 + Encoding.UTF8.GetByteCount(value) <= Options.MaxLineLength);
                }
            }

            var kind = whole[^1].Split(' ')[0];
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        // The mutations reach every way a request can end, not only the happy one.
        Assert.Contains("end", kinds.Keys);
        Assert.Contains("end:", kinds.Keys);
        Assert.Contains("error:", kinds.Keys);
        Assert.True(kinds["error:"] > 300, string.Join(", ", kinds));
    }

    [Fact]
    public void A_line_that_fills_the_buffer_is_refused_before_more_is_read()
    {
        var parser = new PolicyRequestParser(Options);
        var space = parser.FreeSpace();
        space.Span.Fill((byte)'a');
        parser.Advance(space.Length);
        Assert.Throws<PolicyProtocolException>(() => parser.TryTake());
        Assert.Throws<PolicyProtocolException>(() => parser.FreeSpace());
    }
}
