using System.Globalization;
using System.Text;
using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

/// <summary>
/// Full case folding against two independent oracles: Python's str.casefold() for every code
/// point, and Postfix itself (postmap -q with smtputf8_enable = yes), which decides what is
/// delivered to a local mailbox: whatever Postfix finds under a local domain, Mailseal must
/// also call local.
/// </summary>
public sealed class CaseFoldingTests
{
    [Theory]
    [InlineData("FAß.Example", "fass.example")]
    [InlineData("mäilſ.example", "mäils.example")]
    [InlineData("ẞ", "ss")]
    [InlineData("ﬁ", "fi")]
    [InlineData("ΣΑΣ", "σασ")]
    [InlineData("ς", "σ")]
    [InlineData("K", "k")] // KELVIN SIGN
    [InlineData("Bob@Example.ORG", "bob@example.org")]
    public void Folds_as_unicode_full_case_folding(string text, string expected) =>
        Assert.Equal(expected, CaseFolding.Fold(text));

    [Fact]
    public async Task Agrees_with_pythons_casefold_on_every_code_point()
    {
        // Every code point whose folding is not itself, by our code; Python answers for all of
        // them and adds its own list, so a code point either side misses shows up.
        var ours = new Dictionary<int, string>();
        for (int cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF)
                continue;
            string c = char.ConvertFromUtf32(cp);
            string f = CaseFolding.Fold(c);
            if (!string.Equals(f, c, StringComparison.Ordinal))
                ours[cp] = f;
        }

        const string Script = """
            import sys, unicodedata
            asked = [int(x, 16) for x in sys.stdin.read().split()]
            seen = set()
            for cp in range(0x110000):
                if 0xD800 <= cp < 0xE000: continue
                f = chr(cp).casefold()
                if f != chr(cp):
                    seen.add(cp)
                    print("%X %s %s" % (cp, " ".join("%X" % ord(x) for x in f), unicodedata.category(chr(cp))))
            for cp in asked:
                if cp not in seen:
                    print("%X %X %s" % (cp, cp, unicodedata.category(chr(cp))))
            """;
        var py = await ProcessRunner.RunCheckedAsync(ProgramLocator.Require("python3"), ["-c", Script], string.Join(' ', ours.Keys.Select(k => k.ToString("X", CultureInfo.InvariantCulture))));
        var mismatches = new List<string>();
        foreach (string line in py.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            int cp = int.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string category = parts[^1];
            var expected = new StringBuilder();
            foreach (string hex in parts[1..^1])
                expected.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            string mine = ours.GetValueOrDefault(cp) ?? char.ConvertFromUtf32(cp);
            // A code point Python's Unicode does not have yet (Cn) may fold in .NET's newer one.
            if (!string.Equals(mine, expected.ToString(), StringComparison.Ordinal) && category != "Cn")
                mismatches.Add($"U+{cp:X4}: ours {Hex(mine)}, Python {Hex(expected.ToString())}");
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(50)));
    }

    /// <summary>Spellings of a local domain, and their verdicts by Postfix and by Mailseal.</summary>
    [Theory]
    [InlineData("fass.example", "faß.example")]
    [InlineData("fass.example", "FASS.example")]
    [InlineData("fass.example", "FAẞ.example")]
    [InlineData("faß.example", "fass.example")]
    [InlineData("mäils.example", "mäilſ.example")]
    [InlineData("mäils.example", "MÄILS.example")]
    [InlineData("σας.example", "ΣΑΣ.example")]
    [InlineData("fi.example", "ﬁ.example")]
    [InlineData("mäil.example", "mäil.example")]
    [InlineData("mäil.example", "xn--mil-qla.example")]
    [InlineData("mäil.example", "ma\u0308il.example")]
    [InlineData("example.org", "EXAMPLE.org")]
    public async Task Every_spelling_postfix_delivers_to_a_local_domain_is_local_to_mailseal(string localDomain, string spelling)
    {
        bool postfix = await PostfixMatchesAsync(localDomain, spelling);
        var options = new KeyDirectoryOptions { LocalDomains = [localDomain] };
        bool ours = DomainNames.TryNormalize(spelling, out _, out _)
            ? options.IsLocalDomain(spelling)
            : true; // refused: a 4.3.5 tempfail, never "not local"
        Assert.True(!postfix || ours, $"Postfix delivers {spelling} as {localDomain}, Mailseal calls it not local");
    }

    [Fact]
    public void A_folded_spelling_finds_the_key_postfix_delivers_to()
    {
        NormalizedAddress a = new AddressNormalizer("+").Normalize("Boß+x@FAß.example");
        Assert.Equal("boß@xn--fa-hia.example", a.Address);
        Assert.Equal(
            ["boß+x@xn--fa-hia.example", "boß@xn--fa-hia.example", "boß+x@faß.example", "boß@faß.example", "boss+x@fass.example", "boss@fass.example"],
            a.Candidates);
    }

    private static async Task<bool> PostfixMatchesAsync(string localDomain, string spelling)
    {
        string dir = Directory.CreateTempSubdirectory("mailseal-postmap.").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "main.cf"), "compatibility_level = 3.6\nsmtputf8_enable = yes\n");
            await File.WriteAllTextAsync(Path.Combine(dir, "master.cf"), "");
            var r = await ProcessRunner.RunAsync(ProgramLocator.Require("postmap"), ["-c", dir, "-q", spelling, $"inline:{{{localDomain}=local}}"]);
            Assert.True(r.ExitCode is 0 or 1, "postmap: " + r.Output);
            return r.ExitCode == 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Hex(string s) => string.Join(' ', s.EnumerateRunes().Select(r => "U+" + r.Value.ToString("X4", CultureInfo.InvariantCulture)));
}
