using System.CommandLine;
using System.Diagnostics;
using Mailseal.Core.Cli;

namespace Mailseal.Core.Tests.Cli;

public sealed class ManPageGeneratorTests
{
    private static RootCommand SampleCommand()
    {
        var root = new RootCommand("Encrypt a message to its recipients' OpenPGP keys. Reads stdin, writes stdout.");
        root.Options.Add(SharedOptions.KeyDir());
        root.Options.Add(new Option<string>("--missing-key", "-m")
        {
            Description = "What to do for a local recipient without a usable key: pass, tempfail or bounce.",
            HelpName = "POLICY",
            DefaultValueFactory = _ => "tempfail",
        });
        root.Options.Add(new Option<bool>("--protect-headers") { Description = "Protect headers (RFC 9788)." });
        root.Options.Add(new Option<int>("--max-size") { Description = "Largest message in bytes.", DefaultValueFactory = _ => 52428800 });
        root.Options.Add(new Option<string>("--secret") { Hidden = true, Description = "hidden" });
        root.Arguments.Add(new Argument<string[]>("recipient") { Arity = ArgumentArity.OneOrMore, Description = "Envelope recipients." });
        var db = new Command("db", "Database commands.");
        var init = new Command("init", "Create the tables.\nRuns the DDL in one transaction.");
        init.Options.Add(new Option<string>("--database") { Description = "Connection string.", Required = true });
        db.Subcommands.Add(init);
        root.Subcommands.Add(db);
        return root;
    }

    private static ManPageInfo SampleInfo() => new()
    {
        Section = "8",
        Date = "2026-11-22",
        Sections =
        [
            new ManPageSection("Description", "Like gpgit.pl, but never loses mail.\n\nExample:\n\n    mailseal-encrypt --key-dir /etc/mailseal/keys bob@example.org < in.eml\n    .dotted line stays literal"),
            new ManPageSection("Exit status", "Sysexits.", [new ManPageItem("0", "Done."), new ManPageItem("75", "Temporary failure; Postfix keeps the mail queued.")]),
            new ManPageSection("Security", "Plaintext never touches the disk. A backslash \\ and a 'quote' and an accented caf\u00e9 render."),
            new ManPageSection("See also", "postconf(5), pipe(8)"),
        ],
    };

    [Fact]
    public void Renders_every_section_option_and_command()
    {
        string page = ManPageGenerator.Render(SampleCommand(), "mailseal-encrypt", SampleInfo());
        string[] lines = page.Split('\n');

        Assert.Equal(".TH \"MAILSEAL\\-ENCRYPT\" \"8\" \"2026\\-11\\-22\" \"Mailseal 0.1.0\" \"Mailseal Manual\"", lines[0]);
        Assert.Equal(
            [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH COMMANDS", ".SH \"EXIT STATUS\"", ".SH \"SECURITY\"", ".SH \"SEE ALSO\""],
            lines.Where(l => l.StartsWith(".SH", StringComparison.Ordinal)).Select(l => l.Replace(".SH \"NAME\"", ".SH NAME", StringComparison.Ordinal)));
        Assert.Contains("mailseal\\-encrypt \\- encrypt a message to its recipients' OpenPGP keys", page, StringComparison.Ordinal);
        Assert.Contains("[\\fB\\-\\-key\\-dir\\fR \\fIDIR\\fR]", page, StringComparison.Ordinal);
        Assert.Contains("\\fIRECIPIENT\\fR...", page, StringComparison.Ordinal);
        Assert.Contains("\\fB\\-m\\fR, \\fB\\-\\-missing\\-key\\fR \\fIPOLICY\\fR", page, StringComparison.Ordinal);
        Assert.Contains("Default: tempfail.", page, StringComparison.Ordinal);
        Assert.Contains("Default: /etc/mailseal/keys.", page, StringComparison.Ordinal);
        Assert.Contains("Default: 52428800.", page, StringComparison.Ordinal);
        Assert.Contains("\\fB\\-\\-protect\\-headers\\fR\n", page, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", page, StringComparison.Ordinal);
        Assert.Contains("\\fBdb init\\fR [\\fIoptions\\fR]", page, StringComparison.Ordinal);
        Assert.Contains("Connection string. Required.", page, StringComparison.Ordinal);
        Assert.Contains(".nf\n\\&mailseal\\-encrypt \\-\\-key\\-dir", page, StringComparison.Ordinal);
        Assert.Contains("\\&.dotted line stays literal", page, StringComparison.Ordinal);
        Assert.Contains(".TP\n\\fB75\\fR\nTemporary failure", page, StringComparison.Ordinal);
        Assert.Contains("A backslash \\e and", page, StringComparison.Ordinal);
        Assert.Contains("caf\\[u00E9]", page, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.False(l.StartsWith('\'') || (l.StartsWith('.') && l.Length > 1 && !char.IsAsciiLetterUpper(l[1]) && l[1] != 'n' && l[1] != 'f'), l));
    }

    [Fact]
    public void The_name_line_keeps_a_leading_acronym()
    {
        string page = ManPageGenerator.Render(new RootCommand("PGP/MIME filter for Postfix."), "mailseal-pipe", new ManPageInfo());
        Assert.Contains("mailseal\\-pipe \\- PGP/MIME filter for Postfix\n", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".start", "\\&.start")]
    [InlineData("'quote", "\\&'quote")]
    [InlineData("a-b\\c", "a\\-b\\ec")]
    [InlineData("tab\there", "tab here")]
    [InlineData("bell\u0007", "bell")]
    [InlineData("\U0001F512", "\\[u1F512]")]
    public void Escapes_roff(string text, string expected) => Assert.Equal(expected, ManPageGenerator.Escape(text));

    [Fact]
    public void Groff_formats_the_page_without_warnings()
    {
        string page = ManPageGenerator.Render(SampleCommand(), "mailseal-encrypt", SampleInfo());
        (int exitCode, string stdout, string stderr) = Run("groff", ["-man", "-Tutf8", "-ww", "-z"], page);
        Assert.True(exitCode == 0, $"groff exited {exitCode}: {stderr}");
        Assert.Equal(string.Empty, stderr);

        // -P-cbou: plain text, no bold or underline, so the content can be matched.
        (exitCode, stdout, stderr) = Run("groff", ["-man", "-Tutf8", "-ww", "-P-cbou"], page);
        Assert.Equal(0, exitCode);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains("--key-dir DIR", stdout.Replace("\u2010", "-", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("EXIT STATUS", stdout, StringComparison.Ordinal);
        Assert.Contains("café", stdout, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string program, string[] args, string input)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed (apt-get install groff-base; tools/install-deps.sh lists it): {e.Message}", e);
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(input);
            process.StandardInput.Close();
            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} did not finish in 30 s");
            }

            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
