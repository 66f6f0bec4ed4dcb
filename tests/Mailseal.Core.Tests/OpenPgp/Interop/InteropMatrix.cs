using System.Text;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// One cell of the matrix: Mailseal encrypts a payload to one generated key, every oracle holding
/// that key decrypts it concurrently, and each plaintext must hash to the payload's SHA-256.
/// Where an oracle lacks the key's algorithm (Sequoia: brainpool, ElGamal) it must refuse cleanly:
/// a non-zero exit, in time, with no output.
/// </summary>
internal static class InteropMatrix
{
    /// <summary>
    /// Every key of <paramref name="specs"/> with every payload size armored (that
    /// <paramref name="include"/> accepts, if given), plus the other message forms at one size
    /// each: binary and binary ZIP at 10 KiB, armored ZLIB at 1 MiB (many deflate blocks).
    /// </summary>
    public static TheoryData<string, int, string> Cases(IEnumerable<KeySpec> specs, Func<KeySpec, int, bool>? include = null)
    {
        var data = new TheoryData<string, int, string>();
        foreach (var spec in specs)
        {
            foreach (int size in Payloads.Sizes.Where(size => include?.Invoke(spec, size) ?? true))
                data.Add(spec.Name, size, "armored");
            data.Add(spec.Name, 10 * 1024, "binary");
            data.Add(spec.Name, 10 * 1024, "binary-zip");
            data.Add(spec.Name, 1024 * 1024, "armored-zlib");
        }

        return data;
    }

    /// <summary>Names of <paramref name="specs"/>, one theory case each.</summary>
    public static TheoryData<string> Keys(IEnumerable<KeySpec> specs)
    {
        var data = new TheoryData<string>();
        foreach (var spec in specs)
            data.Add(spec.Name);
        return data;
    }

    /// <summary>Runs one cell and fails with one line per oracle that disagreed.</summary>
    public static async Task RunAsync(OracleKeyRing ring, string keyName, int size, string form, Func<IDecryptionOracle, ProcessResult, string?>? extraCheck = null)
    {
        var key = ring.Key(keyName);
        byte[] payload = Payloads.Get(size);
        string expected = Payloads.Sha256Of(size);
        string ciphertext = Path.Combine(ring.WorkDirectory, $"{keyName}-{size}-{form}.pgp");
        try
        {
            MailsealSide.EncryptToFile(payload, [MailsealSide.RecipientFor(key)], ciphertext, form);

            var oracles = ring.Oracles(keyName);
            var sinks = oracles.Select(_ => new HashingSink()).ToArray();
            var results = await Task.WhenAll(oracles.Select((oracle, i) => oracle.DecryptAsync(ciphertext, sinks[i])));

            var problems = new StringBuilder();
            for (int i = 0; i < oracles.Count; i++)
            {
                var oracle = oracles[i];
                var result = results[i];
                bool mustRefuse = oracle is SequoiaDecryptor && !key.Spec.SequoiaDecrypts;
                if (mustRefuse)
                {
                    if (result.TimedOut || result.ExitCode == 0 || sinks[i].BytesWritten != 0)
                        problems.AppendLine($"{oracle.Name} should refuse {keyName} cleanly (non-zero exit, no output): {result.Describe()}");
                    continue;
                }

                if (!result.Succeeded)
                {
                    problems.AppendLine($"{oracle.Name} failed: {result.Describe()}");
                    continue;
                }

                if (sinks[i].BytesWritten != payload.Length || sinks[i].Sha256Hex != expected)
                    problems.AppendLine($"{oracle.Name} returned {sinks[i].BytesWritten} bytes (sha256 {sinks[i].Sha256Hex}), expected {payload.Length} (sha256 {expected})");

                string? extra = extraCheck?.Invoke(oracle, result);
                if (extra is not null)
                    problems.AppendLine($"{oracle.Name}: {extra}");
            }

            foreach (var sink in sinks)
                sink.Dispose();
            Assert.True(problems.Length == 0, $"{keyName}, {size} bytes, {form}:\n{problems}");
        }
        finally
        {
            File.Delete(ciphertext);
        }
    }
}
