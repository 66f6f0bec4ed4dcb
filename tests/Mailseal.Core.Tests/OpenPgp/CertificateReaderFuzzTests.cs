using System.Diagnostics;
using System.Text;
using Mailseal.Core.OpenPgp;
using Xunit.Abstractions;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>
/// 10,000 mutated certificates (seeded, so a failure reproduces): every one ends in a
/// <see cref="CertificateReadResult"/> or an <see cref="OpenPgpFormatException"/>, within a time
/// bound, and never in another exception.
/// </summary>
public sealed class CertificateReaderFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int Seed = 20261122;
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Mutated_certificates_never_crash_or_hang()
    {
        var seeds = MakeSeeds();
        var random = new Random(Seed);
        var failures = new List<string>();
        int parsed = 0, refused = 0, usable = 0;
        var slowest = TimeSpan.Zero;
        var total = Stopwatch.StartNew();

        for (int i = 0; i < Cases; i++)
        {
            var (name, original, armored) = seeds[random.Next(seeds.Count)];
            var (input, how) = armored ? MutateText(original, random) : Mutate(original, random);
            var started = Stopwatch.StartNew();
            var task = Task.Run(() =>
            {
                try
                {
                    var result = CertificateReader.Read(input);
                    int ok = 0;
                    foreach (var cert in result.Certificates)
                    {
                        _ = cert.FingerprintHex;
                        _ = cert.EmailAddresses.Count;
                        if (cert.SelectEncryptionKey(DateTimeOffset.UtcNow).IsUsable)
                            ok++;
                    }

                    return (Parsed: true, Usable: ok, Error: (Exception?)null);
                }
                catch (OpenPgpFormatException ex)
                {
                    return (Parsed: false, Usable: 0, Error: ex.Message.Contains('\n', StringComparison.Ordinal) ? ex : null);
                }
                catch (Exception ex)
                {
                    return (Parsed: false, Usable: 0, Error: ex);
                }
            });
            (bool Parsed, int Usable, Exception? Error) outcome;
            try
            {
                outcome = await task.WaitAsync(PerCaseLimit);
            }
            catch (TimeoutException)
            {
                failures.Add($"case {i} ({name}, {how}): did not finish within {PerCaseLimit.TotalSeconds} s");
                break;
            }

            var elapsed = started.Elapsed;
            if (elapsed > slowest)
                slowest = elapsed;
            var (ok, u, error) = outcome;
            if (error is not null)
                failures.Add($"case {i} ({name}, {how}): {error.GetType().Name}: {error.Message}");
            else if (ok)
            {
                parsed++;
                usable += u > 0 ? 1 : 0;
            }
            else
            {
                refused++;
            }
        }

        total.Stop();
        output.WriteLine($"{Cases} cases in {total.Elapsed.TotalSeconds:F1} s: {parsed} read ({usable} with a usable key), {refused} refused with OpenPgpFormatException; slowest case {slowest.TotalMilliseconds:F0} ms");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        // The mutations must exercise both outcomes, or the fuzz proves nothing.
        Assert.True(parsed > Cases / 10, $"only {parsed} mutated inputs were read");
        Assert.True(refused > Cases / 10, $"only {refused} mutated inputs were refused");
        Assert.True(usable > 0, "no mutated certificate kept a usable key (mutations too destructive to reach verification)");
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(60), $"fuzz took {total.Elapsed}");
    }

    /// <summary>
    /// The seeds are committed (TestData/openpgp/fuzz-seeds, made once with gpg 2.2: each key
    /// plus an encryption subkey, never expiring) so that the seeded mutations hit the same
    /// bytes on every run and a failing case number reproduces exactly.
    /// </summary>
    private static List<(string Name, byte[] Data, bool Armored)> MakeSeeds()
    {
        var seeds = new List<(string, byte[], bool)>();
        foreach (string name in new[] { "ed25519", "rsa2048", "nistp256", "brainpoolP256r1", "dsa2048" })
        {
            byte[] armored = File.ReadAllBytes(TestPaths.OpenPgpData(Path.Combine("fuzz-seeds", name + ".asc")));
            seeds.Add((name, ArmorReader.Dearmor(armored), false));
            seeds.Add((name + " armored", armored, true));
        }

        byte[] v6 = File.ReadAllBytes(TestPaths.OpenPgpData("rfc9580-a3-v6-certificate.asc"));
        seeds.Add(("rfc9580 v6", ArmorReader.Dearmor(v6), false));
        seeds.Add(("rfc9580 v6 armored", v6, true));
        foreach (var (name, data, _) in seeds)
        {
            var result = CertificateReader.Read(data);
            if (result.Certificates.Count != 1 || !result.Certificates[0].SelectEncryptionKey(DateTimeOffset.UtcNow).IsUsable)
                throw new InvalidOperationException($"fuzz seed {name} is not a usable certificate to begin with");
        }

        return seeds;
    }

    private static (byte[] Data, string How) Mutate(byte[] original, Random random)
    {
        var data = new List<byte>(original);
        var how = new StringBuilder();
        int rounds = 1 + random.Next(3);
        for (int r = 0; r < rounds && data.Count > 0; r++)
        {
            switch (random.Next(5))
            {
                case 0:
                    int flips = 1 + random.Next(4);
                    for (int f = 0; f < flips; f++)
                    {
                        int at = random.Next(data.Count);
                        data[at] ^= (byte)(1 << random.Next(8));
                    }

                    how.Append($"flip{flips} ");
                    break;
                case 1:
                    int pos = random.Next(data.Count + 1);
                    var bytes = new byte[1 + random.Next(8)];
                    random.NextBytes(bytes);
                    data.InsertRange(pos, bytes);
                    how.Append($"insert{bytes.Length}@{pos} ");
                    break;
                case 2:
                    int start = random.Next(data.Count);
                    int count = Math.Min(1 + random.Next(16), data.Count - start);
                    data.RemoveRange(start, count);
                    how.Append($"delete{count}@{start} ");
                    break;
                case 3:
                    int keep = random.Next(data.Count);
                    data.RemoveRange(keep, data.Count - keep);
                    how.Append($"truncate@{keep} ");
                    break;
                default:
                    how.Append(CorruptLength(data, original, random)).Append(' ');
                    break;
            }
        }

        return (data.ToArray(), how.ToString().TrimEnd());
    }

    /// <summary>Overwrites a length field of the original's structure: a packet header length, a signature subpacket area length, or an MPI bit count.</summary>
    private static string CorruptLength(List<byte> data, byte[] original, Random random)
    {
        var packets = new List<RawPacket>();
        var reader = new PacketReader(original, OpenPgpReadOptions.Default);
        while (reader.TryRead(out var p))
            packets.Add(p);
        var packet = packets[random.Next(packets.Count)];
        int headerLength = packet.EncodedLength - packet.Body.Length;
        int bodyStart = packet.Offset + headerLength;
        byte[] extremes = [0x00, 0x01, 0x7F, 0xBF, 0xC0, 0xDF, 0xE0, 0xEF, 0xFE, 0xFF];
        byte value = random.Next(2) == 0 ? extremes[random.Next(extremes.Length)] : (byte)random.Next(256);
        int target;
        string what;
        switch (random.Next(3))
        {
            case 0:
                target = packet.Offset + 1 + random.Next(Math.Max(1, headerLength - 1));
                what = "header length";
                break;
            case 1 when packet.Tag == (int)PacketTag.Signature && packet.Body.Length > 6:
                target = bodyStart + 4 + random.Next(2);
                what = "subpacket area length";
                break;
            default:
                // Key packets: the first MPI bit count (v4) or material count (v6) sits at body offset 6.
                target = bodyStart + Math.Min(6 + random.Next(2), Math.Max(0, packet.Body.Length - 1));
                what = "body length field";
                break;
        }

        if (target < data.Count)
            data[target] = value;
        return $"{what}@{target}=0x{value:X2}";
    }

    private static (byte[] Data, string How) MutateText(byte[] original, Random random)
    {
        var data = new List<byte>(original);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n :";
        string how;
        switch (random.Next(4))
        {
            case 0:
                int at = random.Next(data.Count);
                data[at] = (byte)alphabet[random.Next(alphabet.Length)];
                how = $"text char@{at}";
                break;
            case 1:
                int start = random.Next(data.Count);
                int count = Math.Min(1 + random.Next(40), data.Count - start);
                data.RemoveRange(start, count);
                how = $"text delete{count}@{start}";
                break;
            case 2:
                int keep = random.Next(data.Count);
                data.RemoveRange(keep, data.Count - keep);
                how = $"text truncate@{keep}";
                break;
            default:
                int pos = random.Next(data.Count);
                data.InsertRange(pos, Encoding.ASCII.GetBytes(alphabet.Substring(random.Next(alphabet.Length - 4), 4)));
                how = $"text insert@{pos}";
                break;
        }

        return (data.ToArray(), how);
    }
}
