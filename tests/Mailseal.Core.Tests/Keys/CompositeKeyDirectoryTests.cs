using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

public sealed class CompositeKeyDirectoryTests
{
    private static InMemoryKeyDirectory Store(params string[] localDomains) =>
        new(new KeyDirectoryOptions { LocalDomains = localDomains, TimeProvider = FixedClock.KeysValid });

    [Fact]
    public async Task The_first_directory_with_an_entry_answers()
    {
        InMemoryKeyDirectory database = Store();
        InMemoryKeyDirectory folder = Store();
        database.AddKeyData("bob@example.org", TestKeys.Read("signer-signonly.asc"));
        folder.AddKeyData("bob@example.org", TestKeys.Read("alice.asc"));
        folder.AddKeyData("carol@example.org", TestKeys.Read("alice.asc"));
        var both = new CompositeKeyDirectory(database, folder);

        KeyLookupResult bob = await both.LookupAsync("bob@example.org", CancellationToken.None);
        Assert.False(bob.HasUsableKey);
        Assert.Equal(TestKeys.SignerFingerprint, bob.Certificates[0].FingerprintHex);

        KeyLookupResult carol = await both.LookupAsync("carol@example.org", CancellationToken.None);
        Assert.True(carol.HasUsableKey);
        Assert.Equal(2, database.LookupCount);
        Assert.Equal(1, folder.LookupCount);
    }

    [Fact]
    public async Task Without_an_entry_the_address_is_local_if_any_directory_says_so()
    {
        var both = new CompositeKeyDirectory(Store(), Store("example.org"));
        KeyLookupResult r = await both.LookupAsync("nobody@example.org", CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.Equal("no key for nobody@example.org", r.Reason);

        KeyLookupResult remote = await both.LookupAsync("x@remote.example", CancellationToken.None);
        Assert.False(remote.IsLocal);
    }

    [Fact]
    public async Task A_failing_directory_fails_the_lookup()
    {
        InMemoryKeyDirectory database = Store();
        database.FailWith = new KeyDirectoryException("key database: down");
        var both = new CompositeKeyDirectory(database, Store("example.org"));
        await Assert.ThrowsAsync<KeyDirectoryException>(() => both.LookupAsync("a@example.org", CancellationToken.None));
    }
}
