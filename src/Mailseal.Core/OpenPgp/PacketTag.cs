namespace Mailseal.Core.OpenPgp;

/// <summary>Packet type ids (RFC 9580 section 5).</summary>
public enum PacketTag : byte
{
    /// <summary>Public-Key Encrypted Session Key.</summary>
    PublicKeyEncryptedSessionKey = 1,
    /// <summary>Signature.</summary>
    Signature = 2,
    /// <summary>Symmetric-Key Encrypted Session Key.</summary>
    SymmetricKeyEncryptedSessionKey = 3,
    /// <summary>One-Pass Signature.</summary>
    OnePassSignature = 4,
    /// <summary>Secret-Key.</summary>
    SecretKey = 5,
    /// <summary>Public-Key.</summary>
    PublicKey = 6,
    /// <summary>Secret-Subkey.</summary>
    SecretSubkey = 7,
    /// <summary>Compressed Data.</summary>
    CompressedData = 8,
    /// <summary>Symmetrically Encrypted Data (obsolete).</summary>
    SymmetricallyEncryptedData = 9,
    /// <summary>Marker.</summary>
    Marker = 10,
    /// <summary>Literal Data.</summary>
    LiteralData = 11,
    /// <summary>Trust.</summary>
    Trust = 12,
    /// <summary>User ID.</summary>
    UserId = 13,
    /// <summary>Public-Subkey.</summary>
    PublicSubkey = 14,
    /// <summary>User Attribute.</summary>
    UserAttribute = 17,
    /// <summary>Symmetrically Encrypted and Integrity Protected Data.</summary>
    SymmetricallyEncryptedIntegrityProtectedData = 18,
    /// <summary>Modification Detection Code (SEIPD v1 trailer).</summary>
    ModificationDetectionCode = 19,
    /// <summary>Padding.</summary>
    Padding = 21,
}
