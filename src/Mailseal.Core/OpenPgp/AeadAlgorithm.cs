namespace Mailseal.Core.OpenPgp;

/// <summary>AEAD algorithm ids (RFC 9580 section 9.6).</summary>
public enum AeadAlgorithm : byte
{
    /// <summary>EAX (read only, never chosen).</summary>
    Eax = 1,
    /// <summary>OCB (RFC 7253), mandatory to implement, what Mailseal writes.</summary>
    Ocb = 2,
    /// <summary>GCM (read only, never chosen).</summary>
    Gcm = 3,
}
