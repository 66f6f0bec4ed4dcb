
namespace Mailseal.Greyd.Tests;

/// <summary>db_dump -p output (the shape Debian's db5.3 db_dump prints for postgrey's BTree files).</summary>
public class DbDumpReaderTests
{
    [Fact]
    public async Task Keys_and_values_are_read_and_unescaped()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "postgrey", "postgrey.dump"));
        var pairs = new List<KeyValuePair<string, string>>();
        await foreach (var pair in DbDumpReader.ReadAsync(new StringReader(text), default))
            pairs.Add(pair);
        Assert.Equal(3, pairs.Count);
        Assert.Equal("192.0.2.0/alice@sender.example/bob@example.test", pairs[0].Key);
        Assert.Equal("1796300000,1796300400", pairs[0].Value);
        Assert.Equal("198.51.100.0/back\\slash@x.example/bob@example.test", pairs[1].Key);
        Assert.Equal("198.51.100.0/tab\there@x.example/bob@example.test", pairs[2].Key);
        Assert.True(DbDumpReader.TryParsePair(pairs[0].Value, out var first, out var last));
        Assert.Equal((1796300000, 1796300400), (first, last));
        Assert.True(DbDumpReader.TryParsePair("1,2,host", out _, out _));
        Assert.False(DbDumpReader.TryParsePair("x,2", out _, out _));
    }

    [Theory]
    [InlineData("VERSION=3\nformat=bytevalue\nHEADER=END\n")]
    [InlineData("HEADER=END\n key\n")]
    [InlineData("HEADER=END\nkey-without-space\n")]
    [InlineData("HEADER=END\n bad\\zz\n v\nDATA=END\n")]
    public async Task Malformed_dumps_are_refused(string text) =>
        await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var _ in DbDumpReader.ReadAsync(new StringReader(text), default))
            {
            }
        });

    [Fact]
    public async Task An_endless_line_is_refused()
    {
        var text = "HEADER=END\n " + new string('a', DbDumpReader.MaxLineLength + 10) + "\n";
        await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var _ in DbDumpReader.ReadAsync(new StringReader(text), default))
            {
            }
        });
    }
}
