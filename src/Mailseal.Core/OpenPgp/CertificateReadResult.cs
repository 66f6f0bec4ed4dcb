namespace Mailseal.Core.OpenPgp;

/// <summary>What <see cref="CertificateReader"/> found: the certificates, and what it skipped and why.</summary>
public sealed class CertificateReadResult
{
    internal CertificateReadResult(IReadOnlyList<Certificate> certificates, IReadOnlyList<string> warnings)
    {
        Certificates = certificates;
        Warnings = warnings;
    }

    /// <summary>The certificates read, in input order.</summary>
    public IReadOnlyList<Certificate> Certificates { get; }

    /// <summary>Keys, subkeys, signatures and packets skipped, each with its reason.</summary>
    public IReadOnlyList<string> Warnings { get; }
}
