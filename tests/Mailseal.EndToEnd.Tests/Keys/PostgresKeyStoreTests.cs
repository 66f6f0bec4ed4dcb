using System.Net;
using System.Net.Sockets;
using Mailseal.Core.Keys;
using Mailseal.EndToEnd.Tests.Harness;
using Npgsql;

namespace Mailseal.EndToEnd.Tests.Keys;

/// <summary>PostgresKeyStore against the harness's real PostgreSQL, with the schema from Mailseal.Core.Accounts.</summary>
[Collection(MailStackCollection.Name)]
public sealed class PostgresKeyStoreTests
{
    private readonly MailStack _stack;

    public PostgresKeyStoreTests(MailStack stack) => _stack = stack;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}@{MailStack.Domain}";

    private PostgresKeyStore Store(CertificateCache cache) =>
        PostgresKeyStore.Create(_stack.ReaderConnectionString, new KeyDirectoryOptions { LocalDomains = [MailStack.Domain] }, cache);

    private async Task UpdateKeyAsync(string email, string pgpKey, string? fingerprint)
    {
        await using NpgsqlConnection db = await _stack.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("UPDATE users SET pgpkey = $1, key_fingerprint = $2 WHERE email = $3", db);
        command.Parameters.Add(new NpgsqlParameter { Value = pgpKey });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)fingerprint ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task A_user_and_an_alias_resolve_to_the_users_key_as_the_read_only_role()
    {
        MailAccount alice = await _stack.CreateAccountAsync(Unique("alice"));
        string alias = Unique("info");
        await _stack.AddAliasAsync(alias, alice.Email);
        await using PostgresKeyStore store = Store(new CertificateCache());

        KeyLookupResult direct = await store.LookupAsync(alice.Email.ToUpperInvariant(), CancellationToken.None);
        Assert.True(direct.IsLocal);
        Assert.True(direct.HasUsableKey, direct.Reason);
        Assert.Equal(alice.Key.Fingerprint, direct.Certificate!.FingerprintHex);
        Assert.Equal("database:" + alice.Email, direct.Source);

        string local = alias[..alias.IndexOf('@', StringComparison.Ordinal)];
        KeyLookupResult viaAlias = await store.LookupAsync($"<{local}+tag@{MailStack.Domain.ToUpperInvariant()}>", CancellationToken.None);
        Assert.True(viaAlias.HasUsableKey, viaAlias.Reason);
        Assert.Equal(alice.Key.Fingerprint, viaAlias.Certificate!.FingerprintHex);
        Assert.Equal("database:" + alice.Email, viaAlias.Source);
    }

    [Fact]
    public async Task Unknown_addresses_are_local_by_domain_only()
    {
        await using PostgresKeyStore store = Store(new CertificateCache());

        KeyLookupResult local = await store.LookupAsync(Unique("nobody"), CancellationToken.None);
        Assert.True(local.IsLocal);
        Assert.False(local.Found);
        Assert.StartsWith("no key for nobody-", local.Reason, StringComparison.Ordinal);

        KeyLookupResult remote = await store.LookupAsync("someone@remote.example", CancellationToken.None);
        Assert.False(remote.IsLocal);

        // A quote in the address is data, not SQL.
        KeyLookupResult quoted = await store.LookupAsync($"x'or'1'='1@{MailStack.Domain}", CancellationToken.None);
        Assert.False(quoted.Found);
    }

    [Fact]
    public async Task Certificates_are_parsed_once_per_row_version()
    {
        MailAccount bob = await _stack.CreateAccountAsync(Unique("bob"));
        var cache = new CertificateCache();
        await using PostgresKeyStore store = Store(cache);

        for (int i = 0; i < 20; i++)
        {
            Assert.True((await store.LookupAsync(bob.Email, CancellationToken.None)).HasUsableKey);
        }

        Assert.Equal(1, cache.ParseCount);
        Assert.Equal(19, cache.HitCount);

        TestKey newKey = await _stack.GenerateKeyAsync(bob.Email);
        await UpdateKeyAsync(bob.Email, newKey.PublicKeyArmored, newKey.Fingerprint);

        KeyLookupResult after = await store.LookupAsync(bob.Email, CancellationToken.None);
        Assert.Equal(newKey.Fingerprint, after.Certificate!.FingerprintHex);
        Assert.Equal(2, cache.ParseCount);
    }

    [Fact]
    public async Task Key_fingerprint_picks_among_several_certificates()
    {
        MailAccount carol = await _stack.CreateAccountAsync(Unique("carol"));
        TestKey second = await _stack.GenerateKeyAsync(carol.Email);
        string both = carol.Key.PublicKeyArmored + "\n" + second.PublicKeyArmored;
        await UpdateKeyAsync(carol.Email, both, second.Fingerprint.ToLowerInvariant());
        await using PostgresKeyStore store = Store(new CertificateCache());

        KeyLookupResult pinned = await store.LookupAsync(carol.Email, CancellationToken.None);
        Assert.Equal(second.Fingerprint, pinned.Certificate!.FingerprintHex);

        await UpdateKeyAsync(carol.Email, both, "0000000000000000000000000000000000000000");
        KeyLookupResult wrong = await store.LookupAsync(carol.Email, CancellationToken.None);
        Assert.True(wrong.IsLocal);
        Assert.False(wrong.HasUsableKey);
        Assert.Equal($"key_fingerprint 0000000000000000000000000000000000000000 of {carol.Email} matches none of its certificates", wrong.Reason);
    }

    [Fact]
    public async Task A_garbage_key_is_local_and_unusable_with_the_reason()
    {
        MailAccount dave = await _stack.CreateAccountAsync(Unique("dave"));
        await UpdateKeyAsync(dave.Email, "not a key", null);
        await using PostgresKeyStore store = Store(new CertificateCache());

        KeyLookupResult r = await store.LookupAsync(dave.Email, CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.True(r.Found);
        Assert.False(r.HasUsableKey);
        Assert.StartsWith($"key of {dave.Email} in the database: the key data is neither ASCII-armored", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_is_down_is_a_transient_error_without_the_password()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using PostgresKeyStore store = PostgresKeyStore.Create(
            $"Host=127.0.0.1;Port={port};Username=x;Password=s3cret-pw;Database=mail;Timeout=3;Pooling=false",
            new KeyDirectoryOptions { LocalDomains = [MailStack.Domain] }, new CertificateCache());

        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => store.LookupAsync($"a@{MailStack.Domain}", CancellationToken.None));
        Assert.True(e.IsTransient);
        Assert.Equal("4.4.3", e.EnhancedStatusCode);
        Assert.StartsWith("key database: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_schema_is_reported_as_a_key_database_error()
    {
        string connection = new NpgsqlConnectionStringBuilder(_stack.DatabaseConnectionString) { Database = "postgres" }.ConnectionString;
        await using PostgresKeyStore store = PostgresKeyStore.Create(connection, new KeyDirectoryOptions(), new CertificateCache());
        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => store.LookupAsync($"a@{MailStack.Domain}", CancellationToken.None));
        Assert.StartsWith("key database: 42P01 ", e.Message, StringComparison.Ordinal);
    }
}
