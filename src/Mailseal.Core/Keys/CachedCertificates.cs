using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Keys;

/// <summary>Certificates parsed from one key entry, or why the entry could not be read.</summary>
/// <param name="Certificates">The certificates (empty when <paramref name="Error"/> is set).</param>
/// <param name="Error">Why the key data could not be read, or null.</param>
public sealed record CachedCertificates(IReadOnlyList<Certificate> Certificates, string? Error);
