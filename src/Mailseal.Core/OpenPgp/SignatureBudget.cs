namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Caps the self-signature checks spent on one certificate (<see cref="OpenPgpReadOptions.MaxSignatureChecks"/>):
/// a certificate stuffed with thousands of forged signatures naming the primary key as issuer
/// must not make reading it cost minutes of public-key operations.
/// </summary>
internal sealed class SignatureBudget(int checks)
{
    private int _left = checks;

    /// <summary>Whether some signature went unchecked because the budget ran out.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>Verifies like <see cref="SignatureVerifier.Verify"/> with the primary key as signer, while the budget lasts.</summary>
    public string? Verify(SignaturePacket sig, PublicKeyPacket primary, SignatureVerifier.Target target,
        ReadOnlySpan<byte> userId = default, PublicKeyPacket? subkey = null)
    {
        if (_left <= 0)
        {
            Exhausted = true;
            return "not checked: too many self-signatures on this key (MaxSignatureChecks)";
        }

        _left--;
        return SignatureVerifier.Verify(sig, primary, primary, target, userId, subkey);
    }
}
