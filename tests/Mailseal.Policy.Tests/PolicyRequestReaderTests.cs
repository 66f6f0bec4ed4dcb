using System.Text;

namespace Mailseal.Policy.Tests;

public class PolicyRequestReaderTests
{
    private static PolicyRequestReader Reader(string text, PolicyServerOptions? options = null) =>
        new(new MemoryStream(Encoding.UTF8.GetBytes(text)), options ?? new PolicyServerOptions());

    private static PolicyRequestReader Reader(byte[] bytes, PolicyServerOptions? options = null) =>
        new(new MemoryStream(bytes), options ?? new PolicyServerOptions());

    [Fact]
    public async Task Reads_attributes_and_ends_cleanly()
    {
        var reader = Reader("request=smtpd_access_policy\nclient_address=192.0.2.1\nsender=\n\n");
        var request = await reader.ReadAsync(CancellationToken.None);
        Assert.NotNull(request);
        Assert.Equal("smtpd_access_policy", request.RequestType);
        Assert.Equal("192.0.2.1", request.ClientAddress);
        Assert.Equal(string.Empty, request.Sender);
        Assert.Equal(string.Empty, request["not_sent"]);
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Line_of_exactly_the_limit_is_accepted_one_more_byte_is_not()
    {
        var options = new PolicyServerOptions { MaxLineLength = 100 };
        var ok = "x=" + new string('a', 98);
        Assert.NotNull(await Reader(ok + "\n\n", options).ReadAsync(CancellationToken.None));
        var e = await Assert.ThrowsAsync<PolicyProtocolException>(() => Reader(ok + "a\n\n", options).ReadAsync(CancellationToken.None).AsTask());
        Assert.Contains("longer than 100", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endless_line_is_cut_off_at_the_limit_without_reading_it_all()
    {
        var stream = new EndlessStream((byte)'a');
        using var reader = new PolicyRequestReader(stream, new PolicyServerOptions());
        await Assert.ThrowsAsync<PolicyProtocolException>(() => reader.ReadAsync(CancellationToken.None).AsTask());
        Assert.True(stream.BytesRead < 20000, $"read {stream.BytesRead} bytes of an endless line");
    }

    [Fact]
    public async Task Too_many_attributes_is_refused()
    {
        var options = new PolicyServerOptions { MaxAttributes = 5 };
        var text = string.Concat(Enumerable.Range(0, 6).Select(i => $"a{i}=v\n")) + "\n";
        var e = await Assert.ThrowsAsync<PolicyProtocolException>(() => Reader(text, options).ReadAsync(CancellationToken.None).AsTask());
        Assert.Contains("more than 5 attributes", e.Message, StringComparison.Ordinal);
        Assert.NotNull(await Reader(string.Concat(Enumerable.Range(0, 5).Select(i => $"a{i}=v\n")) + "\n", options).ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Request_byte_limit_holds_even_with_short_lines()
    {
        var options = new PolicyServerOptions { MaxRequestBytes = 4096, MaxLineLength = 1000, MaxAttributes = 1000 };
        var text = string.Concat(Enumerable.Range(0, 10).Select(i => $"a{i}=" + new string('v', 900) + "\n")) + "\n";
        var e = await Assert.ThrowsAsync<PolicyProtocolException>(() => Reader(text, options).ReadAsync(CancellationToken.None).AsTask());
        Assert.Contains("larger than 4096", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)'=', 0, (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'a', (byte)'=', 0x1b, (byte)'[', (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'a', (byte)'=', 0xff, 0xfe, (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'a', (byte)'=', (byte)'x', (byte)'\r', (byte)'y', (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'=', (byte)'x', (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'a', (byte)' ', (byte)'b', (byte)'=', (byte)'x', (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'n', (byte)'o', (byte)'p', (byte)'e', (byte)'\n', (byte)'\n' })]
    public async Task Binary_and_malformed_lines_are_refused(byte[] bytes)
    {
        await Assert.ThrowsAsync<PolicyProtocolException>(() => Reader(bytes).ReadAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_full_postfix_request_reads_back_exactly_known_words_and_others_alike()
    {
        // Known attribute names and recurring values are shared strings; everything else is
        // decoded. Both must read back byte for byte, including a value that merely starts like a
        // known word, a known word in another case, UTF-8, and names beyond the shared set.
        var sent = new (string Name, string Value)[]
        {
            ("request", "smtpd_access_policy"), ("protocol_state", "RCPT"), ("protocol_name", "ESMTP"),
            ("client_address", "2001:db8::1"), ("client_name", "unknown"), ("reverse_client_name", "UNKNOWN"),
            ("helo_name", "RCPTx"), ("sender", "j\u00fcrgen@b\u00fccher.example"), ("recipient", "smtpd_access_policy_"),
            ("recipient_count", "0"), ("queue_id", ""), ("instance", "1a2b.5f4e3d2c.1"), ("size", "12345"),
            ("etrn_domain", ""), ("stress", ""), ("sasl_method", "PLAIN"), ("ccert_subject", "CN=\u65e5\u672c"),
            ("encryption_protocol", "TLSv1.3"), ("server_port", "25"), ("policy_context", "submission"),
            ("compatibility_level", "3.6"), ("mail_version", "3.7.11"), ("x-mailseal.test_1", "1"),
            (new string('n', 33), new string('v', 40)),
        };
        var text = string.Concat(sent.Select(a => a.Name + "=" + a.Value + "\n")) + "\n";
        var request = await Reader(text).ReadAsync(CancellationToken.None);
        Assert.NotNull(request);
        Assert.Equal(sent.Length, request.Attributes.Count);
        foreach (var (name, value) in sent)
            Assert.Equal(value, request[name]);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'r', (byte)'e', (byte)'q', 0xc3, (byte)'=', (byte)'x', (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'s', (byte)'e', (byte)'n', (byte)'d', (byte)'e', (byte)'r', (byte)'=', (byte)'R', (byte)'C', (byte)'P', (byte)'T', 0x80, (byte)'\n', (byte)'\n' })]
    [InlineData(new byte[] { (byte)'s', (byte)'i', (byte)'z', (byte)'e', (byte)'=', 0xed, 0xa0, 0x80, (byte)'\n', (byte)'\n' })]
    public async Task Bytes_that_are_not_utf8_are_refused_in_names_and_values(byte[] bytes)
    {
        var e = await Assert.ThrowsAsync<PolicyProtocolException>(() => Reader(bytes).ReadAsync(CancellationToken.None).AsTask());
        Assert.Matches("not UTF-8|characters other than", e.Message);
    }

    [Fact]
    public async Task Crlf_line_ends_are_tolerated()
    {
        var request = await Reader("sender=a@b\r\nrecipient=c@d\r\n\r\n").ReadAsync(CancellationToken.None);
        Assert.Equal("a@b", request!.Sender);
        Assert.Equal("c@d", request.Recipient);
    }

    [Fact]
    public async Task Silent_client_hits_the_idle_timeout()
    {
        var (client, server) = await SocketPair.CreateAsync();
        using (client)
        using (server)
        {
            using var reader = new PolicyRequestReader(server, new PolicyServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) });
            var started = DateTime.UtcNow;
            await Assert.ThrowsAsync<TimeoutException>(() => reader.ReadAsync(CancellationToken.None).AsTask());
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task Trickling_client_hits_the_read_timeout()
    {
        var (client, server) = await SocketPair.CreateAsync();
        using (client)
        using (server)
        {
            using var reader = new PolicyRequestReader(server, new PolicyServerOptions { ReadTimeout = TimeSpan.FromMilliseconds(300) });
            using var stop = new CancellationTokenSource();
            var trickle = Task.Run(async () =>
            {
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await client.WriteAsync("a"u8.ToArray());
                        await Task.Delay(20);
                    }
                }
                catch (IOException)
                {
                }
            });
            var started = DateTime.UtcNow;
            var e = await Assert.ThrowsAsync<PolicyProtocolException>(() => reader.ReadAsync(CancellationToken.None).AsTask());
            Assert.Contains("not complete within", e.Message, StringComparison.Ordinal);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
            stop.Cancel();
            await trickle;
        }
    }

    private sealed class EndlessStream(byte fill) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, fill, offset, count);
            BytesRead += count;
            return count;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
