namespace Mailseal.Core.OpenPgp;

/// <summary>The first octet of the key flags subpacket (RFC 9580 section 5.2.3.29).</summary>
[Flags]
public enum KeyFlags
{
    /// <summary>No flag set.</summary>
    None = 0,
    /// <summary>May certify other keys (primary keys only).</summary>
    Certify = 0x01,
    /// <summary>May sign data.</summary>
    Sign = 0x02,
    /// <summary>May encrypt communications.</summary>
    EncryptCommunications = 0x04,
    /// <summary>May encrypt storage.</summary>
    EncryptStorage = 0x08,
    /// <summary>The private key may have been split by a secret-sharing mechanism.</summary>
    Split = 0x10,
    /// <summary>May authenticate.</summary>
    Authenticate = 0x20,
    /// <summary>The private key may be held by more than one person.</summary>
    Shared = 0x80,
}
