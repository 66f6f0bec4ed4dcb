using Mailseal.Admin.Wkd;

namespace Mailseal.Admin.Tests.Wkd;

public class WkdHashTests
{
    // The draft's own example (draft-koch-openpgp-webkey-service, section 3.1).
    [Fact]
    public void The_drafts_example_hashes_as_the_draft_says() =>
        Assert.Equal("iy9q119eutrkn8s1mk4r39qejnbu3n5q", WkdHash.Of("Joe.Doe@Example.ORG"));

    [Theory]
    [InlineData("alice@example.org")]
    [InlineData("o'brien@example.org")]
    [InlineData("Mixed.Case+tag@example.org")]
    public async Task Names_equal_what_gpg_wks_client_prints(string address)
    {
        var info = new System.Diagnostics.ProcessStartInfo("/usr/lib/gnupg/gpg-wks-client") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--print-wkd-hash");
        info.ArgumentList.Add(address);
        using var p = System.Diagnostics.Process.Start(info)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        // It prints "HASH ADDRESS" (the address as it normalised it).
        Assert.Equal(WkdHash.Of(address), output.Trim().Split(' ')[0]);
    }
}
