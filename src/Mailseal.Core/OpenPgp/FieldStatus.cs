namespace Mailseal.Core.OpenPgp;

/// <summary>The outcome of one <see cref="MpiReader"/> Try* read, for the caller to word as it needs.</summary>
internal enum FieldStatus
{
    /// <summary>The field was read.</summary>
    Ok,
    /// <summary>The input ends before the field's length (the MPI bit count or the length octet).</summary>
    LengthMissing,
    /// <summary>The MPI claims more bits than the caller allows.</summary>
    TooLarge,
    /// <summary>A length octet of 0 or 0xFF, which RFC 9580 reserves.</summary>
    ReservedLength,
    /// <summary>The input ends before the field's last octet.</summary>
    Truncated,
}
