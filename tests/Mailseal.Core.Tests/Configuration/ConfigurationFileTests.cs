using Mailseal.Core.Configuration;

namespace Mailseal.Core.Tests.Configuration;

public sealed class ConfigurationFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-conf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Sample = """
        # Mailseal configuration
        key_dir = /srv/keys
          local_domains = Example.org, example.net  mail.example.com

        [encrypt]
        missing_key = pass
        key_dir = /srv/encrypt-keys

        [spfd]
        # a comment inside a section
        helo_reject = yes
        """;

    [Fact]
    public void Parses_shared_names_and_sections_with_line_numbers()
    {
        ConfigurationFile file = ConfigurationFile.Parse(Sample, "/etc/mailseal/mailseal.conf");

        Assert.Equal(5, file.Entries.Count);
        ConfigurationEntry first = file.Entries[0];
        Assert.Null(first.Section);
        Assert.Equal("key_dir", first.Name);
        Assert.Equal("/srv/keys", first.Value);
        Assert.Equal(2, first.LineNumber);
        Assert.Equal("/etc/mailseal/mailseal.conf:2", first.Location);
        Assert.Equal(("encrypt", "missing_key", 6), (file.Entries[2].Section, file.Entries[2].Name, file.Entries[2].LineNumber));
        Assert.Equal(("spfd", "helo_reject", 11), (file.Entries[4].Section, file.Entries[4].Name, file.Entries[4].LineNumber));
    }

    [Fact]
    public void A_tool_sees_shared_names_overridden_by_its_own_section()
    {
        ConfigurationFile file = ConfigurationFile.Parse(Sample, "x.conf");

        ToolSettings encrypt = file.ForTool("encrypt", ["missing_key"]);
        Assert.Equal("/srv/encrypt-keys", encrypt.KeyDir);
        Assert.Equal("pass", encrypt.Get("missing_key"));
        Assert.Equal(["example.org", "example.net", "mail.example.com"], encrypt.LocalDomains);
        Assert.Equal("+", encrypt.RecipientDelimiter);
        Assert.Equal("/dev/log", encrypt.SyslogSocket);
        Assert.Equal(string.Empty, encrypt.Database);

        ToolSettings spfd = file.ForTool("spfd", ["helo_reject"]);
        Assert.Equal("/srv/keys", spfd.KeyDir);
        Assert.Null(spfd.Get("missing_key"));
    }

    [Fact]
    public void Defaults_apply_without_a_file()
    {
        ToolSettings settings = ConfigurationFile.Empty.ForTool("pipe", []);
        Assert.Equal("/etc/mailseal/keys", settings.KeyDir);
        Assert.Equal(string.Empty, settings.Database);
        Assert.Empty(settings.LocalDomains);
        Assert.Equal("+", settings.RecipientDelimiter);
        Assert.Equal("/dev/log", settings.SyslogSocket);
        Assert.Null(settings.FilePath);
    }

    [Fact]
    public void Unknown_name_in_the_tools_section_names_file_and_line()
    {
        ConfigurationFile file = ConfigurationFile.Parse("[encrypt]\n\nmisssing_key = pass\n", "/c.conf");
        var e = Assert.Throws<ConfigurationException>(() => file.ForTool("encrypt", ["missing_key"]));
        Assert.StartsWith("/c.conf:3: unknown name \"misssing_key\" in [encrypt]", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, e.LineNumber);
        Assert.Equal("/c.conf", e.FilePath);

        // Another tool does not judge a section it does not own.
        Assert.Equal("/etc/mailseal/keys", file.ForTool("pipe", []).KeyDir);
    }

    [Theory]
    [InlineData("keydir = /x\n", 1, "unknown name \"keydir\"")]
    [InlineData("# c\nkey_dir /x\n", 2, "malformed line (expected name = value)")]
    [InlineData("= /x\n", 1, "malformed line (no name before =)")]
    [InlineData("Key_Dir = /x\n", 1, "malformed name \"Key_Dir\"")]
    [InlineData("[encrypt\n", 1, "malformed section header")]
    [InlineData("\n\n[smtpd]\n", 3, "unknown section [smtpd]")]
    [InlineData("[pipe]\n[pipe]\n", 2, "section [pipe] appears twice")]
    [InlineData("key_dir = /a\nkey_dir = /b\n", 2, "\"key_dir\" is set twice")]
    [InlineData("key_dir = relative/keys\n", 1, "key_dir must be an absolute path")]
    [InlineData("syslog_socket =\n", 1, "syslog_socket must not be empty")]
    [InlineData("local_domains = example.org, bad_domain!\n", 1, "local_domains: \"bad_domain!\" is not a domain name")]
    [InlineData("recipient_delimiter = @\n", 1, "recipient_delimiter may not contain '@'")]
    [InlineData("database = Host=localhost;Nonsense Key=1;Password=hunter2\n", 1, "database is not a valid PostgreSQL connection string")]
    [InlineData("key_dir = /a\u0001b\n", 1, "control character in line")]
    public void Malformed_input_is_an_error_naming_file_and_line(string text, int line, string detail)
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationFile.Parse(text, "/etc/m.conf"));
        Assert.Equal(line, e.LineNumber);
        Assert.StartsWith($"/etc/m.conf:{line}: {detail}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.Equal("4.3.5", e.EnhancedStatusCode);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public void Values_keep_hashes_equals_signs_and_may_be_empty()
    {
        ConfigurationFile file = ConfigurationFile.Parse(
            "database = Host=db;Password=a#b=c\r\nrecipient_delimiter =\r\n", "x");
        ToolSettings s = file.ForTool(null, []);
        Assert.Equal("Host=db;Password=a#b=c", s.Database);
        Assert.Equal(string.Empty, s.RecipientDelimiter);
    }

    [Fact]
    public void Line_and_file_limits_are_enforced()
    {
        var limits = new ConfigurationLimits { MaxLineLength = 20, MaxFileBytes = 100, MaxEntries = 2 };
        var longLine = Assert.Throws<ConfigurationException>(() =>
            ConfigurationFile.Parse("key_dir = /a\nkey_dir_is_long = /aaaaaaaaaaaaaa\n", "f", limits));
        Assert.Equal("f:2: line longer than 20 characters", longLine.Message);

        var big = Assert.Throws<ConfigurationException>(() => ConfigurationFile.Parse(new string('#', 101), "f", limits));
        Assert.Equal("f: larger than 100 bytes", big.Message);

        var many = Assert.Throws<ConfigurationException>(() =>
            ConfigurationFile.Parse("key_dir = /a\nsyslog_socket = /b\ndatabase =\n", "f", limits));
        Assert.Equal("f:3: more than 2 entries", many.Message);
    }

    [Fact]
    public void Load_reads_a_file_and_bounds_its_size()
    {
        string path = Path.Combine(_dir, "m.conf");
        File.WriteAllText(path, "key_dir = /k\n");
        Assert.Equal("/k", ConfigurationFile.Load(path).ForTool(null, []).KeyDir);

        File.WriteAllBytes(path, new byte[4096]);
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationFile.Load(path, new ConfigurationLimits { MaxFileBytes = 1000 }));
        Assert.Equal($"{path}: larger than 1000 bytes", e.Message);

        File.WriteAllBytes(path, [0x6b, 0xff, 0x0a]);
        Assert.Equal($"{path}: not UTF-8 text", Assert.Throws<ConfigurationException>(() => ConfigurationFile.Load(path)).Message);
    }

    [Fact]
    public void Missing_default_file_means_defaults_but_a_missing_config_file_is_an_error()
    {
        string missing = Path.Combine(_dir, "absent.conf");
        Assert.Same(ConfigurationFile.Empty, ConfigurationFile.LoadForTool(null, missing));

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationFile.LoadForTool(missing, "/nonexistent/default.conf"));
        Assert.Equal($"{missing}: no such file", e.Message);
    }

    [Fact]
    public void A_directory_named_as_the_config_file_is_an_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationFile.Load(_dir));
        Assert.Equal(_dir + ": is a directory, not a configuration file", e.Message);
        Assert.Throws<ConfigurationException>(() => ConfigurationFile.LoadForTool(null, _dir));
    }

    [Theory]
    [InlineData("key_dir", "--key-dir")]
    [InlineData("recipient_delimiter", "--recipient-delimiter")]
    [InlineData("max_message_size", "--max-message-size")]
    public void Names_map_to_flags_and_back(string name, string flag)
    {
        Assert.Equal(flag, ConfigurationNames.ToFlag(name));
        Assert.Equal(name, ConfigurationNames.FromFlag(flag));
    }

    [Theory]
    [InlineData("-k")]
    [InlineData("--Key-Dir")]
    [InlineData("--key_dir")]
    [InlineData("--key--dir")]
    public void Flags_that_are_not_configuration_names_map_to_null(string flag) =>
        Assert.Null(ConfigurationNames.FromFlag(flag));

    [Fact]
    public void The_documented_example_parses()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Toolkit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        Assert.True(dir is not null, "repository root (Toolkit.sln) not found above the test binaries");
        string readme = File.ReadAllText(Path.Combine(dir, "docs", "configuration.md"));
        int start = readme.IndexOf("```ini\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/configuration.md has no ```ini example");
        start += "```ini\n".Length;
        string example = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        ToolSettings encrypt = ConfigurationFile.Parse(example, "docs/configuration.md").ForTool("encrypt", []);
        Assert.Equal("/srv/mailseal/keys", encrypt.KeyDir);
        Assert.Equal(["example.org", "example.net"], encrypt.LocalDomains);
        Assert.Equal(string.Empty, encrypt.Database);
    }
}
