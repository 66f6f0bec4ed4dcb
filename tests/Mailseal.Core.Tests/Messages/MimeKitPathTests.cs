using System.Text;
using Mailseal.Core.Messages;
using Mailseal.Core.Mime;
using Mailseal.Core.Tests.Messages.Legacy;
using Xunit.Abstractions;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// Issue #11: the MimeKit-based classification side by side with the hand-written one it
/// replaced (kept under Legacy/ for this test only). On the corpus both must give the same
/// verdict and reason. On 10,000 mutated corpus messages they must give the same verdict,
/// except where the MimeKit path is stricter (it refuses text after a delimiter on the
/// delimiter's line, which the old scanner skipped unread); the MimeKit path must never pass a
/// message the old one encrypted.
/// </summary>
public sealed class MimeKitPathTests(ITestOutputHelper output)
{
    private static string Root => Path.Combine(AppContext.BaseDirectory, "TestData", "messages");

    private static (MessageClassification New, MessageClassification Old)? Both(byte[] message, MimeLimits limits)
    {
        var block = HeaderParser.Parse(message, limits, out var consumed);
        if (block.Status != HeaderBlockStatus.Complete)
            return null; // encrypted whole before any classification, on either path
        var body = message.AsMemory(consumed);
        return (MessageClassifier.Classify(block, body, limits), LegacyMessageClassifier.Classify(block, body, limits));
    }

    public static TheoryData<string> CorpusCases()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Root, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusCases))]
    public void The_corpus_gets_the_same_verdict_and_reason_on_both_paths(string name)
    {
        var both = Both(File.ReadAllBytes(Path.Combine(Root, name)), MimeLimits.Default);
        Assert.NotNull(both);
        var (mimeKit, old) = both.Value;
        output.WriteLine($"{name}: MimeKit {mimeKit.AlreadyEncrypted} ({mimeKit.Reason}), old {old.AlreadyEncrypted} ({old.Reason})");
        Assert.Equal(old, mimeKit);
        Assert.Equal(name.StartsWith("passthrough", StringComparison.Ordinal), mimeKit.AlreadyEncrypted);
    }

    [Fact]
    public void Ten_thousand_mutated_messages_never_pass_on_the_MimeKit_path_where_the_old_one_encrypted()
    {
        var seeds = Directory.GetFiles(Root, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var limits = MimeLimits.Default with { MaxHeaderCount = 40, MaxLineLength = 2000, MaxHeaderBlockSize = 8192, MaxMimeDepth = 4, MaxParts = 20 };
        var rng = new Random(20261203);
        int same = 0, sameVerdict = 0, stricter = 0, unparsed = 0;
        var examples = new List<string>();
        for (var i = 0; i < 10_000; i++)
        {
            // Half from the pass-through seeds, so the mutations land near ciphertext.
            var seed = i % 2 == 0 ? seeds[rng.Next(seeds.Length)] : seeds.Where((_, k) => k % 2 == 0).ElementAt(rng.Next((seeds.Length + 1) / 2));
            var input = MessageFuzzTests.Mutate(seed, seeds, rng);
            var both = Both(input, limits);
            if (both is null)
            {
                unparsed++;
                continue;
            }

            var (mimeKit, old) = both.Value;
            if (mimeKit.AlreadyEncrypted && !old.AlreadyEncrypted)
                Assert.Fail($"case {i}: the MimeKit path passes ({mimeKit.Reason}) what the old one encrypted ({old.Reason}): {Convert.ToBase64String(input)}");
            if (mimeKit == old)
                same++;
            else if (mimeKit.AlreadyEncrypted == old.AlreadyEncrypted)
                sameVerdict++;
            else
            {
                stricter++;
                if (examples.Count < 5)
                    examples.Add($"case {i}: old {old.Reason}, MimeKit {mimeKit.Reason}: {Convert.ToBase64String(input)}");
            }
        }

        output.WriteLine($"10,000 mutations: {same} same verdict and reason, {sameVerdict} same verdict other reason, {stricter} encrypted by the MimeKit path but passed by the old one, {unparsed} header block over a limit (not classified)");
        foreach (var e in examples)
            output.WriteLine(e);
        Assert.True(same + sameVerdict + stricter > 5_000, "most mutations should reach the classifier");
    }

    [Fact]
    public void Text_after_a_closing_delimiter_on_its_line_is_refused_by_the_MimeKit_path()
    {
        var message = Encoding.ASCII.GetBytes("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n"
            + "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n"
            + MessageClassifierTests.Armor + "--e-- the plan is on\n");
        var (mimeKit, old) = Both(message, MimeLimits.Default)!.Value;
        Assert.False(mimeKit.AlreadyEncrypted, mimeKit.Reason);
        output.WriteLine($"old path: {old.AlreadyEncrypted} ({old.Reason})");
    }
}
