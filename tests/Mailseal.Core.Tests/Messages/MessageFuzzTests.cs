using System.Diagnostics;
using System.Text;
using Mailseal.Core.Messages;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// 10,000 mutated corpus messages through the real pipeline in-process. Each must end as a
/// complete PGP/MIME message, a byte-identical pass-through, or an exception a filter reports
/// as one line (none is expected from in-memory streams); never a crash, a hang or partial
/// output. A sample of the encrypted ones is decrypted by gpg and compared with the tests' own
/// reading of the mutated input.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class MessageFuzzTests(OracleKeys keys) : IClassFixture<OracleKeys>
{
    private const int Iterations = 10_000;
    private const int DecryptSample = 25;

    private static readonly byte[][] Snippets =
    [
        "\n"u8.ToArray(), "\r\n"u8.ToArray(), "\n\n"u8.ToArray(), "\0"u8.ToArray(), ":"u8.ToArray(), " "u8.ToArray(),
        "Content-Type: multipart/mixed; boundary=\"x\"\n"u8.ToArray(), "--x\n"u8.ToArray(), "--x--\n"u8.ToArray(),
        "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=x\n"u8.ToArray(),
        "-----BEGIN PGP MESSAGE-----\n\n"u8.ToArray(), "-----END PGP MESSAGE-----\n"u8.ToArray(),
        "Content-Type: text/plain; name*0*=utf-8''%C3; name*1=x\n"u8.ToArray(), "=?utf-8?b?w6Q=?="u8.ToArray(),
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\n"u8.ToArray(),
        "DKIM-Signature: v=1\n"u8.ToArray(), "\tcontinued\n"u8.ToArray(), Encoding.ASCII.GetBytes(new string('z', 3000)),
    ];

    [Fact]
    public async Task Ten_thousand_mutated_messages_end_encrypted_or_passed_never_crashed_hung_or_partial()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "TestData", "messages");
        var seeds = Directory.GetFiles(root, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(seeds);
        var rng = new Random(20261122);
        var encryptor = new MessageEncryptor(new PgpContentEncryptor());
        // Small limits so the fuzzer reaches them often.
        var options = MessageEncryptionOptions.Default with
        {
            Limits = MimeLimits.Default with { MaxHeaderCount = 40, MaxLineLength = 2000, MaxHeaderBlockSize = 8192, MaxMimeDepth = 4, MaxParts = 20, MaxClassifyBytes = 32 * 1024 },
            SpoolMemoryThreshold = 16 * 1024,
        };
        var encrypted = 0;
        var passed = 0;
        var slowest = TimeSpan.Zero;
        var sample = new List<(byte[] Input, byte[] Output)>();
        var total = Stopwatch.StartNew();
        for (var i = 0; i < Iterations; i++)
        {
            var input = Mutate(seeds[rng.Next(seeds.Length)], seeds, rng);
            var output = new MemoryStream();
            var watch = Stopwatch.StartNew();
            MessageEncryptionResult result;
            try
            {
                result = await encryptor.EncryptAsync(new MemoryStream(input), output, [keys.Recipient], options, CancellationToken.None);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"iteration {i}: {e.GetType().Name}: {e.Message} (output {output.Length} bytes)\n{Convert.ToBase64String(input)}");
            }

            watch.Stop();
            if (watch.Elapsed > slowest)
                slowest = watch.Elapsed;
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"iteration {i} took {watch.Elapsed}");
            var bytes = output.ToArray();
            Assert.Equal(input.Length, result.InputBytes);
            Assert.Equal(bytes.Length, result.OutputBytes);
            if (result.Action == MessageAction.AlreadyEncrypted)
            {
                Assert.Equal(input, bytes);
                passed++;
                continue;
            }

            encrypted++;
            var text = Encoding.Latin1.GetString(bytes);
            var nl = text.Contains("\r\n--mailseal=_", StringComparison.Ordinal) ? "\r\n" : "\n";
            Assert.Contains("Content-Type: multipart/encrypted;" + nl + " protocol=\"application/pgp-encrypted\";", text, StringComparison.Ordinal);
            Assert.Matches("-----END PGP MESSAGE-----" + nl + nl + "--mailseal=_[0-9a-f]{24}--" + nl + "$", text);
            if (sample.Count < DecryptSample && rng.Next(200) == 0 && !result.Reason.Contains("rfc822", StringComparison.Ordinal))
                sample.Add((input, bytes));
        }

        total.Stop();
        Console.WriteLine($"fuzz: {Iterations} messages in {total.Elapsed.TotalSeconds:F1} s: {encrypted} encrypted, {passed} passed through; slowest {slowest.TotalMilliseconds:F0} ms");
        Assert.Equal(Iterations, encrypted + passed);
        Assert.True(encrypted > 0 && passed > 0, $"{encrypted} encrypted, {passed} passed: the mutations should reach both outcomes");
        foreach (var (input, output) in sample)
            Assert.Equal(MessageBytes.ExpectedInner(input), await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(output)));
    }

    internal static byte[] Mutate(byte[] seed, byte[][] seeds, Random rng)
    {
        var data = new List<byte>(seed);
        var n = rng.Next(1, 6);
        for (var k = 0; k < n; k++)
        {
            var pos = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(8))
            {
                case 0 when data.Count > 0:
                    data[pos] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    data.InsertRange(pos, Snippets[rng.Next(Snippets.Length)]);
                    break;
                case 2 when data.Count > 0:
                    data.RemoveRange(pos, Math.Min(rng.Next(1, 200), data.Count - pos));
                    break;
                case 3 when data.Count > 0:
                    var len = Math.Min(rng.Next(1, 400), data.Count - pos);
                    data.InsertRange(rng.Next(data.Count), data.GetRange(pos, len));
                    break;
                case 4:
                    data.RemoveRange(pos, data.Count - pos); // truncate
                    break;
                case 5:
                    var other = seeds[rng.Next(seeds.Length)];
                    var from = rng.Next(other.Length + 1);
                    data.InsertRange(pos, other.AsSpan(from, Math.Min(other.Length - from, rng.Next(1, 2000))).ToArray());
                    break;
                case 6:
                    var junk = new byte[rng.Next(1, 64)];
                    rng.NextBytes(junk);
                    data.InsertRange(pos, junk);
                    break;
                default:
                    data.InsertRange(pos, Encoding.ASCII.GetBytes("X-Fuzz-" + k + ": " + new string('v', rng.Next(0, 100)) + "\n"));
                    break;
            }
        }

        return [.. data];
    }
}
