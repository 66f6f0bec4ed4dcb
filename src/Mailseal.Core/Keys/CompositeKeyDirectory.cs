namespace Mailseal.Core.Keys;

/// <summary>
/// Asks several key directories in order (the database, then the key folder) and returns the
/// first that has an entry for the address. With no entry anywhere, the address is local when
/// any directory says so. A failing directory fails the lookup: skipping it could turn a local
/// address into "not local" and let plaintext through.
/// </summary>
public sealed class CompositeKeyDirectory : IKeyDirectory
{
    private readonly IReadOnlyList<IKeyDirectory> _directories;

    /// <summary>Creates the composite; at least one directory.</summary>
    public CompositeKeyDirectory(params IReadOnlyList<IKeyDirectory> directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        if (directories.Count == 0)
        {
            throw new ArgumentException("at least one key directory is needed", nameof(directories));
        }

        _directories = directories;
    }

    /// <inheritdoc />
    public async Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken)
    {
        KeyLookupResult? firstLocal = null;
        KeyLookupResult? first = null;
        foreach (IKeyDirectory directory in _directories)
        {
            KeyLookupResult result = await directory.LookupAsync(address, cancellationToken).ConfigureAwait(false);
            if (result.Found)
            {
                return result;
            }

            first ??= result;
            if (result.IsLocal)
            {
                firstLocal ??= result;
            }
        }

        return firstLocal ?? first!;
    }
}
