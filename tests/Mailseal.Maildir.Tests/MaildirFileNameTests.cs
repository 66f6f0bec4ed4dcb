namespace Mailseal.Maildir.Tests;

public sealed class MaildirFileNameTests
{
    [Theory]
    [InlineData("1700000000.M1P2.host,S=100,W=105:2,FS", "1700000000.M1P2.host", 100L, 105L, "2,FS")]
    [InlineData("1700000000.M1P2.host:2,", "1700000000.M1P2.host", null, null, "2,")]
    [InlineData("1700000000.M1P2.host", "1700000000.M1P2.host", null, null, null)]
    [InlineData("1700000000.M1P2.host,S=100,Z=x:2,Sab", "1700000000.M1P2.host", 100L, null, "2,Sab")]
    public void Parses_dovecot_names(string name, string unique, long? size, long? vsize, string? info)
    {
        var p = MaildirFileName.Parse(name)!;
        Assert.Equal(unique, p.Unique);
        Assert.Equal(size, p.Size);
        Assert.Equal(vsize, p.VirtualSize);
        Assert.Equal(info, p.Info);
    }

    [Fact]
    public void New_sizes_keep_the_unique_part_other_fields_and_flags()
    {
        var p = MaildirFileName.Parse("17.M1P2.host,S=100,Z=x,W=105:2,FSab")!.WithSizes(2000, 2050);
        Assert.Equal("17.M1P2.host,Z=x,S=2000,W=2050:2,FSab", p.ToString());
        Assert.Equal("17.M1P2.host,Z=x,S=2000,W=2050", p.Base);
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Skips_names_maildir_readers_skip(string name) => Assert.Null(MaildirFileName.Parse(name));

    [Fact]
    public void Uidlist_lines_are_renamed_to_the_new_base_keeping_uid_and_other_fields()
    {
        string text = "3 V1 N4 Gabc\n1 :a.host,S=10,W=11\n2 G0123 W11 S10 :b.host,S=10,W=11\n3 :c.host\n";
        var renames = new Dictionary<string, MaildirFileName>(StringComparer.Ordinal)
        {
            ["b.host,S=10,W=11"] = MaildirFileName.Parse("b.host,S=900,W=930:2,S")!,
        };

        string? result = UidList.Rename(text, renames);

        Assert.Equal("3 V1 N4 Gabc\n1 :a.host,S=10,W=11\n2 G0123 W930 S900 :b.host,S=900,W=930\n3 :c.host\n", result);
        Assert.Null(UidList.Rename(text, new Dictionary<string, MaildirFileName>(StringComparer.Ordinal)));
        Assert.Throws<InvalidDataException>(() => UidList.Rename("1 1 2\n", renames));
    }

    [Theory]
    [InlineData("INBOX", "")]
    [InlineData("Sent", ".Sent")]
    [InlineData("Archive/2023", ".Archive.2023")]
    [InlineData("Entwürfe", ".Entw&APw-rfe")]
    public void Folder_names_map_to_maildir_plus_plus_directories(string name, string directory)
    {
        var f = MaildirFolder.Named("/m", name);
        Assert.Equal(directory.Length == 0 ? "/m" : "/m/" + directory, f.Path);
    }

    [Fact]
    public void Virtual_size_counts_bare_lf_twice_also_across_writes()
    {
        using var s = new SizeCountingStream(Stream.Null);
        s.Write("a\r"u8);
        s.Write("\nb\n"u8);
        Assert.Equal(5, s.Bytes);
        Assert.Equal(6, s.VirtualBytes);
    }
}
