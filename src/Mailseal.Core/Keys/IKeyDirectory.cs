namespace Mailseal.Core.Keys;

/// <summary>
/// Finds the key to encrypt to for one envelope recipient and says whether the address is
/// local (DESIGN.md, "Keys and accounts"). Implementations: <see cref="KeyFolder"/> (the
/// embedded default), <see cref="PostgresKeyStore"/>, <see cref="CompositeKeyDirectory"/> (both)
/// and <see cref="InMemoryKeyDirectory"/> for unit tests.
/// </summary>
public interface IKeyDirectory
{
    /// <summary>
    /// Looks <paramref name="address"/> up. An address that cannot be valid (control characters,
    /// '/', '..') gives a result with a <see cref="KeyLookupResult.Reason"/>, never a file access.
    /// </summary>
    /// <exception cref="KeyDirectoryException">The store cannot be read (database down, permission denied); see <see cref="Cli.MailsealException.IsTransient"/>.</exception>
    Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken);
}
