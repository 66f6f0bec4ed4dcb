using System.Diagnostics;
using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Encrypt.Tests;

/// <summary>
/// The fuzzer issue #10 asked for: what the content fuzzer (Core.Tests MessageFuzzTests) does
/// not reach. Each case is a message with a marker planted where only ciphertext may carry it
/// (body, preamble, epilogue, armor headers and data, part headers, after a bare CR), mutated
/// in its line ends (bare CR, mixed CR/LF/CRLF), its MIME framing and its armor, and sent to
/// recipients drawn from empty, malformed, Unicode-domain, keyless-local, keyed-local and
/// not-local addresses, and forms Postfix delivers to a local mailbox though they are not
/// written as one (trailing dot, quoted local part, source route, user%domain@localhost,
/// user@domain@[127.0.0.1], domain!user@localhost). The oracle, written apart from the product: exit 0 or 75 only; on 75
/// nothing on stdout and one 4.x.x line on stderr; for a recipient that is not an address a
/// 4.3.5; for a keyless local one a tempfail; for a not-local one the message unchanged; and
/// when a local recipient has a key, the marker never outside the last armored block of the
/// output, unless both a LF-only and a CR-aware reader see it in the message's header block (which
/// stays in the clear by design); every 100th encrypted output is decrypted by gpg, and must hold
/// the message (nothing lost). 10,000 cases in-process through the real command line (ToolHost +
/// EncryptCommand), and a sample of 100 through the published binary, a fresh process each as
/// pipe(8) starts it, as many at a time as there are cores. <c>MAILSEAL_HOSTILE_FUZZ_PROCESS=N</c>
/// sends every (10,000 / N)th case through the binary; N = 10000 sends every case through the
/// binary only. Progress goes to $TMPDIR/mailseal-hostile-fuzz.log; docs/encryption-rules.md
/// has the last run.
/// </summary>
public sealed class HostileFuzzTests(ToolKeys keys, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<ToolKeys>
{
    private const int Iterations = 10_000;
    private const int DefaultProcessSample = 100;
    private const string Marker = "MARKER-7f3a9c";

    private enum Expect
    {
        Invalid,   // not an address: 4.3.5
        Keyless,   // local without a key: 4.7.5
        Keyed,     // local with a key: ciphertext
        External,  // not local: unchanged
    }

    private static readonly (string Address, Expect Kind)[] Recipients =
    [
        ("alice@example.org", Expect.Keyed),
        ("<Alice+x@Example.ORG>", Expect.Keyed),
        ("bob@mäil.example", Expect.Keyed),
        ("Bob@MÄIL.example", Expect.Keyed),
        ("bob@xn--mil-qla.example", Expect.Keyed),
        ("bob@ｍäｉｌ．example", Expect.Keyed),
        ("bob@faß.example", Expect.Keyed), // Postfix casefolds: to it this is bob@fass.example
        ("Bob@FAẞ.example", Expect.Keyed),
        ("carol@faß.example", Expect.Keyless),
        ("carol@mäil.example", Expect.Keyless),
        ("carol@example.org", Expect.Keyless),
        ("someone@elsewhere.example", Expect.External),
        ("dave@bücher.example", Expect.External),
        ("", Expect.Invalid),
        (" ", Expect.Invalid),
        ("alice", Expect.Invalid),
        ("alice@", Expect.Invalid),
        ("@example.org", Expect.Invalid),
        ("alice@exa mple.org", Expect.Invalid),
        ("alice@example..org", Expect.Invalid),
        ("ali\u0000ce@example.org", Expect.Invalid),
        ("alice@\r\nexample.org", Expect.Invalid),
        ("bob@ma\u0308il.example", Expect.Invalid),
        ("bob@mä\u00ADil.example", Expect.Invalid), // soft hyphen: UTS #46 drops it
        ("bob@mä\u200Bil.example", Expect.Invalid),
        ("bob@\u2603.example", Expect.Invalid),

        // Forms Postfix delivers to a local mailbox though they are not written as one: a trailing
        // dot, a quoted local part, a source route, and routing through a domain of Postfix's own
        // (its resolver strips localhost or [127.0.0.1] and reads user@domain, user%domain, domain!user).
        ("alice@example.org.", Expect.Keyed),
        ("\"alice\"@example.org", Expect.Keyed),
        ("@a.example,@b.example:alice@example.org", Expect.Keyed),
        ("alice%example.org@localhost", Expect.Keyed),
        ("alice@example.org@localhost", Expect.Keyed),
        ("\"alice@example.org\"@localhost", Expect.Keyed),
        ("example.org!alice@localhost", Expect.Keyed),
        ("alice@example.org@[127.0.0.1]", Expect.Keyed),
        ("bob%mäil.example@localhost", Expect.Keyed),
        ("carol%example.org@localhost", Expect.Keyless),
        ("carol@example.org.", Expect.Keyless),
        ("carol@example.org@[127.0.0.1]", Expect.Keyless),
        ("someone%elsewhere.example@localhost", Expect.External),
        ("someone@[192.0.2.1]", Expect.External),
        ("alice@example.org..", Expect.Invalid),
        ("alice@.example.org", Expect.Invalid),
    ];

    private static readonly string[] PreambleNotes =
    [
        "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n", "\n", Marker + " preamble text\n",
        "This is a multi-part message in MIME format.\n", new string('x', 700) + Marker + "\n",
    ];

    private string KeyDir => Path.Combine(keys.Dir, "fuzz-keys");

    private string[] Options(string classifyLimit) =>
    [
        "--key-dir", KeyDir, "--config", keys.EmptyConfig, "--syslog-socket", Path.Combine(keys.Dir, "no-syslog"),
        "--local-domains", "example.org, mäil.example, fass.example", "--classify-limit", classifyLimit,
    ];

    /// <summary>
    /// How many of the cases also go through the published binary: every (10,000 / N)th. With
    /// N = 10,000 every case goes through the binary only (the in-process pass would repeat it).
    /// </summary>
    private static int ProcessSample =>
        int.TryParse(Environment.GetEnvironmentVariable("MAILSEAL_HOSTILE_FUZZ_PROCESS"), System.Globalization.CultureInfo.InvariantCulture, out var n) && n is > 0 and <= Iterations
            ? n
            : DefaultProcessSample;

    /// <summary>Every this many encrypted cases, gpg decrypts the ciphertext: the message must be in it (nothing lost), not only absent outside.</summary>
    private const int DecryptEvery = 100;

    [Fact]
    public async Task Ten_thousand_hostile_cases_never_leak_the_marker_and_end_in_0_or_75()
    {
        var processSample = ProcessSample;
        var processOnly = processSample == Iterations;
        Directory.CreateDirectory(KeyDir);
        File.Copy(Path.Combine(keys.KeyDir, "alice@example.org.asc"), Path.Combine(KeyDir, "alice@example.org.asc"), overwrite: true);
        File.Copy(Path.Combine(keys.KeyDir, "alice@example.org.asc"), Path.Combine(KeyDir, "bob@xn--mil-qla.example.asc"), overwrite: true);
        File.Copy(Path.Combine(keys.KeyDir, "alice@example.org.asc"), Path.Combine(KeyDir, "bob@fass.example.asc"), overwrite: true);

        var genuine = await RunInProcessAsync([.. Options("4194304"), "alice@example.org"],
            Encoding.ASCII.GetBytes("From: a@example.net\nSubject: s\n\nhello\n"));
        Assert.Equal(0, genuine.Exit);
        var seeds = Seeds(genuine.Stdout);

        // The cases first (one seeded generator, so a run is repeatable), then each pass over them.
        var rng = new Random(20261203);
        var cases = new (string[] Args, byte[] Input, Expect Expect)[Iterations];
        for (var i = 0; i < Iterations; i++)
            cases[i] = Case(rng, seeds);

        using var progress = new Progress(log);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var decrypted = 0;
        var watch = Stopwatch.StartNew();
        if (!processOnly)
        {
            for (var i = 0; i < Iterations; i++)
            {
                var (args, input, expect) = cases[i];
                var r = await RunInProcessAsync(args, input);
                var outcome = Check(i, args, input, expect, r.Exit, r.Stdout, r.Stderr);
                counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
                if (outcome == "encrypted" && counts[outcome] % DecryptEvery == 1)
                {
                    await CheckDecryptsAsync(i, args, input, r.Stdout);
                    decrypted++;
                }

                progress.Report("in process", i + 1, Iterations);
            }
        }

        var inProcess = watch.Elapsed;

        // Through the published binary, a fresh process per case as pipe(8) starts it, as many at
        // a time as there are cores (each is one short single-threaded process).
        var step = Iterations / processSample;
        var sample = Enumerable.Range(0, processSample).Select(k => k * step).ToArray();
        var results = new ToolProcess.Result[sample.Length];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, sample.Length), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (k, _) =>
        {
            var (args, input, _) = cases[sample[k]];
            results[k] = await ToolProcess.RunToolAsync(args, input);
            progress.Report("through the binary", Interlocked.Increment(ref done), sample.Length);
        });
        var processCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var k = 0; k < sample.Length; k++)
        {
            var (args, input, expect) = cases[sample[k]];
            var r = results[k];
            var outcome = Check(sample[k], args, input, expect, r.Exit, r.Stdout, r.Stderr);
            processCounts[outcome] = processCounts.GetValueOrDefault(outcome) + 1;
            if (processOnly && outcome == "encrypted" && processCounts[outcome] % DecryptEvery == 1)
            {
                await CheckDecryptsAsync(sample[k], args, input, r.Stdout);
                decrypted++;
            }
        }

        static string Tally(Dictionary<string, int> c) => string.Join(", ", c.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}"));
        var summary = (processOnly ? "hostile fuzz: in-process pass skipped (every case goes through the binary); " : $"hostile fuzz: {Iterations} cases in process in {inProcess.TotalSeconds:F0} s: {Tally(counts)}; ")
            + $"{sample.Length} through {ToolProcess.ToolPath} ({Environment.ProcessorCount} at a time) in {(watch.Elapsed - inProcess).TotalSeconds:F0} s: {Tally(processCounts)}; "
            + $"{decrypted} encrypted outputs decrypted by gpg";
        log.WriteLine(summary);
        progress.Line(summary);
        var all = processOnly ? processCounts : counts;
        Assert.True(all.GetValueOrDefault("encrypted") > 1000 && all.GetValueOrDefault("already-encrypted") > 0 && all.GetValueOrDefault("4.3.5") > 0,
            "the cases should reach every outcome");
    }

    /// <summary>
    /// gpg (an independent reader) decrypts the last armored block of an encrypted output; every
    /// marker of the input must be in what it decrypts to or outside (in the header block, where
    /// the oracle allows it): ciphertext that lost the message would pass the leak check alone.
    /// </summary>
    private async Task CheckDecryptsAsync(int i, string[] args, byte[] input, byte[] output)
    {
        var text = Encoding.Latin1.GetString(output);
        var end = text.LastIndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        var begin = end < 0 ? -1 : text.LastIndexOf("-----BEGIN PGP MESSAGE-----", end, StringComparison.Ordinal);
        Assert.True(begin >= 0, $"case {i}: no armored block in an encrypted output");
        var armored = Encoding.Latin1.GetBytes(text[begin..(end + 25)] + "\n");
        var r = await keys.Gpg(["--decrypt"], armored);
        var plain = Encoding.Latin1.GetString(r.Stdout);
        var markers = CountMarkers(Encoding.Latin1.GetString(input));
        var kept = CountMarkers(plain) + CountMarkers(text[..begin] + text[(end + 25)..]);
        Assert.True(kept >= markers, $"case {i}, recipients [{string.Join(", ", args.SkipWhile(a => a != "--").Skip(1))}]: {markers} markers in the input, {kept} in the decrypted message and the header left outside\ninput (base64): {Convert.ToBase64String(input)}");
    }

    private static int CountMarkers(string text)
    {
        var n = 0;
        for (var at = text.IndexOf(Marker, StringComparison.Ordinal); at >= 0; at = text.IndexOf(Marker, at + Marker.Length, StringComparison.Ordinal))
            n++;
        return n;
    }

    /// <summary>
    /// Progress of a long run, every 500 cases: to the test log and, so a run of minutes can be
    /// watched, appended to $TMPDIR/mailseal-hostile-fuzz.log (<c>tail -f</c> it).
    /// </summary>
    private sealed class Progress(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
    {
        private readonly StreamWriter _file = new(Path.Combine(Path.GetTempPath(), "mailseal-hostile-fuzz.log"), append: true) { AutoFlush = true };
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public void Report(string pass, int done, int total)
        {
            if (done % 500 != 0 && done != total)
                return;
            Line($"{pass}: {done}/{total} after {_clock.Elapsed.TotalSeconds:F0} s");
        }

        public void Line(string line)
        {
            lock (_file)
                _file.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");
            log.WriteLine(line);
        }

        public void Dispose() => _file.Dispose();
    }

    /// <summary>The oracle. Returns the outcome's name for the tally.</summary>
    private static string Check(int i, string[] args, byte[] input, Expect expect, int exit, byte[] stdout, string stderr)
    {
        string Where() => $"case {i}, recipients [{string.Join(", ", args.SkipWhile(a => a != "--").Skip(1).Select(a => "\"" + a + "\""))}], exit {exit}, stderr {stderr}\ninput (base64): {Convert.ToBase64String(input)}";
        Assert.True(exit is 0 or 75, "exit neither 0 nor 75: " + Where());
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        if (exit == 75)
        {
            Assert.True(stdout.Length == 0, "output on a tempfail: " + Where());
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].Length > 6 && lines[0][0] == '4' && lines[0][1] == '.', "not one 4.x.x line: " + Where());
            Assert.True(expect is Expect.Invalid or Expect.Keyless, "deferred, expected " + expect + ": " + Where());
            if (expect == Expect.Invalid)
                Assert.True(lines[0].StartsWith("4.3.5 ", StringComparison.Ordinal), "an invalid recipient is a 4.3.5: " + Where());
            return lines[0][..5];
        }

        Assert.True(expect is Expect.Keyed or Expect.External, "exit 0, expected " + expect + ": " + Where());
        Assert.True(stderr.Length == 0, "exit 0 with stderr: " + Where());
        if (expect == Expect.External)
        {
            Assert.True(input.AsSpan().SequenceEqual(stdout), "not-local mail changed: " + Where());
            return "passed";
        }

        var outside = OutsideLastArmor(stdout);
        if (outside.Contains(Marker, StringComparison.Ordinal) && !BothReadersSeeMarkerInOuterField(input) && !OnlyInShortFileNames(outside))
            Assert.Fail("the marker is outside the ciphertext: " + Where() + "\noutput: " + Encoding.Latin1.GetString(stdout));
        if (input.AsSpan().SequenceEqual(stdout))
            return "already-encrypted";
        Assert.Contains("multipart/encrypted", Encoding.Latin1.GetString(stdout), StringComparison.Ordinal);
        return "encrypted";
    }

    /// <summary>
    /// The one bounded channel an already encrypted message keeps in the clear (documented in
    /// docs/encryption-rules.md): a part's file name of at most 40 characters. True when every
    /// occurrence of the marker is inside one.
    /// </summary>
    private static bool OnlyInShortFileNames(string outside) =>
        !System.Text.RegularExpressions.Regex.Replace(outside, "name=\"?[A-Za-z0-9._-]{1,40}\"?", "")
            .Contains(Marker, StringComparison.Ordinal);

    private static string OutsideLastArmor(byte[] output)
    {
        var text = Encoding.Latin1.GetString(output);
        var end = text.LastIndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        var begin = end < 0 ? -1 : text.LastIndexOf("-----BEGIN PGP MESSAGE-----", end, StringComparison.Ordinal);
        return begin < 0 ? text : text[..begin] + text[end..];
    }

    /// <summary>
    /// True when a reader that ends lines at LF only and one that also ends them at a bare CR
    /// both see the marker in a field of the message's header block: there it stays outside by
    /// design (a Subject is not encrypted; an already encrypted message keeps its Content-Type),
    /// so the marker proves nothing. Part headers are not exempt.
    /// </summary>
    private static bool BothReadersSeeMarkerInOuterField(byte[] input) =>
        MarkerInOuterField(input, crAware: false) && MarkerInOuterField(input, crAware: true);

    private static bool MarkerInOuterField(byte[] input, bool crAware)
    {
        var text = Encoding.Latin1.GetString(input);
        var lines = crAware ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Split(['\n', '\r']) : text.Split('\n');
        foreach (var raw in lines)
        {
            var line = crAware ? raw : raw.TrimEnd('\r');
            if (line.Length == 0)
                return false;
            if (line[0] is ' ' or '\t')
            {
                if (line.Contains(Marker, StringComparison.Ordinal))
                    return true;
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[..colon].TrimEnd().Any(c => c is < '!' or > '~'))
                return false;
            if (line.Contains(Marker, StringComparison.Ordinal))
                return true;
        }

        return false;
    }

    private (string[] Args, byte[] Input, Expect Expect) Case(Random rng, string[] seeds)
    {
        // Mostly addresses, so most cases reach the message; one recipient list in six holds a broken one.
        var rcpts = Enumerable.Range(0, rng.Next(1, 3)).Select(_ =>
        {
            var pool = Recipients.Where(r => (r.Kind == Expect.Invalid) == (rng.Next(12) == 0)).ToArray();
            return pool[rng.Next(pool.Length)];
        }).ToList();
        var expect = rcpts.Any(r => r.Kind == Expect.Invalid) ? Expect.Invalid
            : rcpts.Any(r => r.Kind == Expect.Keyless) ? Expect.Keyless
            : rcpts.Any(r => r.Kind == Expect.Keyed) ? Expect.Keyed
            : Expect.External;
        var limit = rng.Next(3) switch { 0 => "0", 1 => "300", _ => "4194304" };
        var text = seeds[rng.Next(seeds.Length)];
        var n = rng.Next(1, 4);
        for (var k = 0; k < n; k++)
            text = Mutate(text, rng);
        return ([.. Options(limit), "--", .. rcpts.Select(r => r.Address)], Encoding.Latin1.GetBytes(text), expect);
    }

    /// <summary>Seed messages: plain, multipart, inline PGP and a genuine PGP/MIME one, each with the marker where it must be encrypted (or none, for the genuine one).</summary>
    private static string[] Seeds(byte[] genuinePgpMime)
    {
        var genuine = Encoding.Latin1.GetString(genuinePgpMime);
        var armor = genuine[genuine.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal)..(genuine.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal) + 25)] + "\n";
        return
        [
            "From: a@example.net\nTo: alice@example.org\nSubject: hi\n\n" + Marker + " body\nline two\n",
            "From: a@example.net\r\nTo: alice@example.org\r\nSubject: hi\r\nContent-Type: text/plain; name=\"" + Marker + "\"\r\n\r\n" + Marker + " body\r\n",
            "From: a@example.net\nSubject: hi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m\"\n\nThis is a multi-part message in MIME format.\n--m\nContent-Type: text/plain\n\n"
                + Marker + " part one\n--m\nContent-Type: application/octet-stream\nContent-Description: " + Marker + "\n\nAAAA\n--m--\n",
            genuine,
            "From: a@example.net\nSubject: hi\n\n" + armor,
            "From: a@example.net\nSubject: hi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--m\nContent-Type: application/octet-stream\n\n"
                + armor + "--m--\n",
        ];
    }

    private static string Mutate(string text, Random rng)
    {
        switch (rng.Next(14))
        {
            case 0:
                return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\n', '\r'); // bare CR only
            case 1:
                return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
            case 2:
                {
                    // Mixed: each line end becomes LF, CR or CRLF at random.
                    var sb = new StringBuilder(text.Length + 64);
                    foreach (var line in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
                    {
                        if (sb.Length > 0)
                            sb.Append(rng.Next(3) switch { 0 => "\n", 1 => "\r", _ => "\r\n" });
                        sb.Append(line);
                    }

                    return sb.ToString();
                }

            case 3:
                {
                    // A bare CR and the marker inside the header block.
                    var end = Math.Max(1, text.IndexOf("\n\n", StringComparison.Ordinal));
                    var at = text.LastIndexOf('\n', rng.Next(end)) + 1;
                    var lineEnd = text.IndexOf('\n', at);
                    lineEnd = lineEnd < 0 ? text.Length : lineEnd;
                    return text[..lineEnd] + "\r" + Marker + " after a bare CR" + (rng.Next(2) == 0 ? "\r" : "") + text[lineEnd..];
                }

            case 4:
                return InsertPreamble(text, PreambleNotes[rng.Next(PreambleNotes.Length)]);
            case 5:
                return text.TrimEnd('\n', '\r') + "\n" + (rng.Next(2) == 0 ? Marker + " epilogue\n" : "\n\n");
            case 6:
                return text.Replace("-----BEGIN PGP MESSAGE-----\n", "-----BEGIN PGP MESSAGE-----\n" + rng.Next(4) switch
                {
                    0 => "Comment: " + Marker + "\n",
                    1 => "Comment: https://example.org " + Marker + "\n",
                    2 => "Version: GnuPG v2\nComment: https://gnupg.org\n",
                    _ => "X-" + Marker + ": y\n",
                }, StringComparison.Ordinal);
            case 7:
                {
                    // The armor data replaced: base64 of plaintext, only a checksum, nothing.
                    var b = text.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
                    var e = text.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
                    if (b < 0 || e < b)
                        return text;
                    var data = rng.Next(3) switch
                    {
                        0 => Convert.ToBase64String(Encoding.ASCII.GetBytes(Marker + " base64 plaintext " + new string('p', rng.Next(200)))) + "\n",
                        1 => "=abcd\n",
                        _ => "",
                    };
                    return text[..b] + "-----BEGIN PGP MESSAGE-----\n\n" + data + text[e..];
                }

            case 8:
                {
                    // A marker line inside the armor, or a line of the armor dropped.
                    var e = text.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
                    if (e < 0)
                        return text;
                    if (rng.Next(2) == 0)
                        return text[..e] + Marker + "\n" + text[e..];
                    var prev = text.LastIndexOf('\n', Math.Max(0, e - 2));
                    return prev < 0 ? text : text.Remove(prev + 1, e - prev - 1);
                }

            case 9:
                {
                    // A marker as a part of its own, or in a part header.
                    var d = text.IndexOf("\n--", StringComparison.Ordinal);
                    if (d < 0)
                        return text;
                    var eol = text.IndexOf('\n', d + 1);
                    if (eol < 0)
                        return text;
                    var delimiter = text[(d + 1)..eol].TrimEnd('\r');
                    return rng.Next(2) == 0
                        ? text[..(eol + 1)] + "Content-Type: text/plain\n\n" + Marker + " extra part\n" + delimiter + "\n" + text[(eol + 1)..]
                        : text[..(eol + 1)] + "Content-Description: " + Marker + "\n" + text[(eol + 1)..];
                }

            case 10:
                {
                    var pos = rng.Next(text.Length + 1);
                    return text[..pos] + (rng.Next(4) switch { 0 => "\r", 1 => "\n", 2 => "\r\n", _ => "\n\n" }) + text[pos..];
                }

            case 11:
                {
                    if (text.Length == 0)
                        return text;
                    var pos = rng.Next(text.Length);
                    return text.Remove(pos, Math.Min(rng.Next(1, 40), text.Length - pos));
                }

            case 12:
                {
                    if (text.Length == 0)
                        return text;
                    var chars = text.ToCharArray();
                    var pos = rng.Next(chars.Length);
                    chars[pos] = (char)(chars[pos] ^ (1 << rng.Next(7)));
                    return new string(chars);
                }

            default:
                {
                    var pos = rng.Next(text.Length + 1);
                    return text[..pos] + Marker + text[pos..];
                }
        }
    }

    private static string InsertPreamble(string text, string note)
    {
        // Just before the first delimiter line after the header block.
        var body = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (body < 0)
            return text;
        var d = text.IndexOf("\n--", body, StringComparison.Ordinal);
        return d < 0 ? text : text[..(d + 1)] + note + text[(d + 1)..];
    }

    private static async Task<(int Exit, byte[] Stdout, string Stderr)> RunInProcessAsync(string[] args, byte[] input)
    {
        using var stdin = new MemoryStream(input);
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var context = new ToolContext(stdin, stdout, stderr);
        var command = new EncryptCommand(context);
        var host = new ToolHost(command.Root, new ToolHostOptions
        {
            ToolName = EncryptCommand.ToolName,
            ConfigSection = "encrypt",
            Kind = ToolKind.Filter,
            ManPage = ManPage.Info,
        }, context);
        var exit = await host.InvokeAsync(args);
        return (exit, stdout.ToArray(), stderr.ToString());
    }
}
