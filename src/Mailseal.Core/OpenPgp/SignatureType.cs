namespace Mailseal.Core.OpenPgp;

/// <summary>Signature type ids (RFC 9580 section 5.2.1).</summary>
public enum SignatureType : byte
{
    /// <summary>Signature of a binary document.</summary>
    BinaryDocument = 0x00,
    /// <summary>Signature of a canonical text document.</summary>
    TextDocument = 0x01,
    /// <summary>Standalone signature.</summary>
    Standalone = 0x02,
    /// <summary>Generic certification of a user id and key.</summary>
    GenericCertification = 0x10,
    /// <summary>Persona certification.</summary>
    PersonaCertification = 0x11,
    /// <summary>Casual certification.</summary>
    CasualCertification = 0x12,
    /// <summary>Positive certification (what key owners self-sign their user ids with).</summary>
    PositiveCertification = 0x13,
    /// <summary>Subkey binding, made by the primary key.</summary>
    SubkeyBinding = 0x18,
    /// <summary>Primary key binding ("back signature"), made by a signing subkey.</summary>
    PrimaryKeyBinding = 0x19,
    /// <summary>Direct-key signature: properties of the primary key itself.</summary>
    DirectKey = 0x1F,
    /// <summary>Key revocation.</summary>
    KeyRevocation = 0x20,
    /// <summary>Subkey revocation.</summary>
    SubkeyRevocation = 0x28,
    /// <summary>Certification revocation (revokes a user id certification).</summary>
    CertificationRevocation = 0x30,
    /// <summary>Timestamp signature.</summary>
    Timestamp = 0x40,
    /// <summary>Third-party confirmation.</summary>
    ThirdPartyConfirmation = 0x50,
}
