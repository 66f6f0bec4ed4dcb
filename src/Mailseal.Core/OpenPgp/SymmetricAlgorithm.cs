namespace Mailseal.Core.OpenPgp;

/// <summary>Symmetric-key algorithm ids (RFC 9580 section 9.3). Mailseal encrypts with AES only.</summary>
public enum SymmetricAlgorithm : byte
{
    /// <summary>Plaintext or unencrypted data.</summary>
    Plaintext = 0,
    /// <summary>IDEA (read only, never chosen).</summary>
    Idea = 1,
    /// <summary>TripleDES (read only, never chosen).</summary>
    TripleDes = 2,
    /// <summary>CAST5 (read only, never chosen).</summary>
    Cast5 = 3,
    /// <summary>Blowfish (read only, never chosen).</summary>
    Blowfish = 4,
    /// <summary>AES with 128-bit key.</summary>
    Aes128 = 7,
    /// <summary>AES with 192-bit key.</summary>
    Aes192 = 8,
    /// <summary>AES with 256-bit key.</summary>
    Aes256 = 9,
    /// <summary>Twofish (read only, never chosen).</summary>
    Twofish = 10,
    /// <summary>Camellia-128 (read only, never chosen).</summary>
    Camellia128 = 11,
    /// <summary>Camellia-192 (read only, never chosen).</summary>
    Camellia192 = 12,
    /// <summary>Camellia-256 (read only, never chosen).</summary>
    Camellia256 = 13,
}
