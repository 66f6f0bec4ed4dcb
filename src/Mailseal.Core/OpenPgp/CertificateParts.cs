namespace Mailseal.Core.OpenPgp;

/// <summary>The packets of one transferable public key, grouped as RFC 9580 section 10.1 lays them out, before any verification.</summary>
internal sealed class CertificateParts
{
    public CertificateParts(PublicKeyPacket primary, int offset)
    {
        Primary = primary;
        Offset = offset;
    }

    public PublicKeyPacket Primary { get; }

    /// <summary>Offset of the primary key packet in the binary input.</summary>
    public int Offset { get; }

    /// <summary>Signatures directly on the primary key (direct-key, key revocation).</summary>
    public List<SignaturePacket> DirectSignatures { get; } = [];

    public List<(byte[] Raw, List<SignaturePacket> Signatures)> UserIds { get; } = [];

    public List<(PublicKeyPacket Key, List<SignaturePacket> Signatures)> Subkeys { get; } = [];
}
