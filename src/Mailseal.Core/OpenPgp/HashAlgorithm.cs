namespace Mailseal.Core.OpenPgp;

/// <summary>Hash algorithm ids (RFC 9580 section 9.5).</summary>
public enum HashAlgorithm : byte
{
    /// <summary>MD5 (rejected for signatures).</summary>
    Md5 = 1,
    /// <summary>SHA-1.</summary>
    Sha1 = 2,
    /// <summary>RIPEMD-160.</summary>
    RipeMd160 = 3,
    /// <summary>SHA2-256.</summary>
    Sha256 = 8,
    /// <summary>SHA2-384.</summary>
    Sha384 = 9,
    /// <summary>SHA2-512.</summary>
    Sha512 = 10,
    /// <summary>SHA2-224.</summary>
    Sha224 = 11,
    /// <summary>SHA3-256.</summary>
    Sha3_256 = 12,
    /// <summary>SHA3-512.</summary>
    Sha3_512 = 14,
}
