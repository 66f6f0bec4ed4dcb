namespace Mailseal.Core.OpenPgp;

/// <summary>Reason-for-revocation codes (RFC 9580 section 5.2.3.31).</summary>
public enum RevocationReason : byte
{
    /// <summary>No reason specified.</summary>
    NoReason = 0,
    /// <summary>Key is superseded.</summary>
    Superseded = 1,
    /// <summary>Key material has been compromised.</summary>
    Compromised = 2,
    /// <summary>Key is retired and no longer used.</summary>
    Retired = 3,
    /// <summary>User id information is no longer valid.</summary>
    UserIdInvalid = 32,
}
