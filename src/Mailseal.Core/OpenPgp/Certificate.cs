using System.Text;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// A transferable public key (RFC 9580 section 10.1) whose self-signatures have been checked:
/// primary key, subkeys with their bindings, user ids with their certifications. Verification
/// happens once, when the certificate is read; <see cref="SelectEncryptionKey"/> then applies
/// the time-dependent rules (expiry) the way GnuPG does.
/// </summary>
public sealed class Certificate
{
    private readonly SignaturePacket? _directKey;
    private readonly SignaturePacket? _keyRevocation;
    private readonly CertificateUserId? _primaryUserId;
    private readonly string? _primaryProblem;

    internal Certificate(CertificateParts parts, ReadOnlyMemory<byte> encoded, SignatureBudget budget)
    {
        PrimaryKey = parts.Primary;
        Encoded = encoded;
        var primary = parts.Primary;

        // Signatures on the primary key: only those the primary key itself made count.
        foreach (var sig in parts.DirectSignatures.Where(s => IsSelfIssued(s, primary)).OrderByDescending(s => s.Created))
        {
            switch (sig.Type)
            {
                case SignatureType.DirectKey when _directKey is null:
                    if (budget.Verify(sig, primary, SignatureVerifier.Target.KeyOnly) is null)
                        _directKey = sig;
                    break;
                case SignatureType.KeyRevocation when _keyRevocation is null:
                    if (budget.Verify(sig, primary, SignatureVerifier.Target.KeyOnly) is null)
                        _keyRevocation = sig;
                    break;
            }
        }

        var userIds = new List<CertificateUserId>();
        foreach (var (raw, sigs) in parts.UserIds)
        {
            SignaturePacket? self = null;
            SignaturePacket? revocation = null;
            foreach (var sig in sigs.Where(s => IsSelfIssued(s, primary)).OrderByDescending(s => s.Created))
            {
                bool isCert = sig.Type is SignatureType.GenericCertification or SignatureType.PersonaCertification
                    or SignatureType.CasualCertification or SignatureType.PositiveCertification;
                if (isCert && self is null)
                {
                    if (budget.Verify(sig, primary, SignatureVerifier.Target.UserId, raw) is null)
                        self = sig;
                }
                else if (sig.Type == SignatureType.CertificationRevocation && revocation is null)
                {
                    if (budget.Verify(sig, primary, SignatureVerifier.Target.UserId, raw) is null)
                        revocation = sig;
                }
            }

            // A revocation older than the newest self-certification was superseded by it (re-validated user id).
            if (revocation is not null && self is not null && revocation.Created < self.Created)
                revocation = null;
            userIds.Add(new CertificateUserId(Encoding.UTF8.GetString(raw), raw, sigs, self, revocation));
        }

        _primaryUserId = userIds.Where(u => u.IsValid && u.SelfSignature!.IsPrimaryUserId)
                .OrderByDescending(u => u.SelfSignature!.Created).FirstOrDefault()
            ?? userIds.Where(u => u.IsValid).OrderByDescending(u => u.SelfSignature!.Created).FirstOrDefault();
        if (_primaryUserId is not null)
            _primaryUserId.IsPrimary = true;
        UserIds = userIds;
        EmailAddresses = userIds.Where(u => u.IsValid && u.Email is not null).Select(u => u.Email!).Distinct(StringComparer.Ordinal).ToList();

        if (primary.Version == 6 && _directKey is null)
            _primaryProblem = $"key {CertificateText.KeyId(primary)} has no valid direct-key self-signature (required for a v6 key)";
        else if (_directKey is null && !userIds.Any(u => u.SelfSignature is not null))
            _primaryProblem = $"key {CertificateText.KeyId(primary)} has no valid self-signature (no user id is certified by the key itself)";

        Subkeys = parts.Subkeys.Select(s => EvaluateSubkey(primary, s.Key, s.Signatures, budget)).ToList();
    }

    /// <summary>The primary key.</summary>
    public PublicKeyPacket PrimaryKey { get; }

    /// <summary>The primary key's fingerprint as upper-case hex, as gpg prints it.</summary>
    public string FingerprintHex => PrimaryKey.FingerprintHex;

    /// <summary>Subkeys that were read (unknown algorithms and versions are skipped with a warning).</summary>
    public IReadOnlyList<CertificateSubkey> Subkeys { get; }

    /// <summary>Every user id, valid or not.</summary>
    public IReadOnlyList<CertificateUserId> UserIds { get; }

    /// <summary>Lower-cased addr-specs from valid, unrevoked user ids, without duplicates.</summary>
    public IReadOnlyList<string> EmailAddresses { get; }

    /// <summary>The binary transferable public key as read (all of its packets, byte for byte).</summary>
    public ReadOnlyMemory<byte> Encoded { get; }

    /// <summary>Whether a verified key revocation signature exists.</summary>
    public bool IsRevoked => _keyRevocation is not null;

    /// <summary>The primary user id, if any user id is valid.</summary>
    public CertificateUserId? PrimaryUserId => _primaryUserId;

    /// <summary>When the primary key expires (from the direct-key signature, else the primary user id's self-signature); null = never.</summary>
    public DateTimeOffset? Expires => (PrimaryProperties()?.KeyLifetime is { } life) ? PrimaryKey.Created + life : null;

    /// <summary>
    /// Chooses the key to encrypt to at <paramref name="now"/>, as GnuPG would: the primary key
    /// must carry a verified self-signature and be neither revoked nor expired; among subkeys
    /// whose binding verifies, that are flagged for encryption (or, in a v4 binding with no key
    /// flags, whose algorithm can encrypt), unrevoked and unexpired, the newest wins; the primary
    /// key itself only when no subkey qualifies.
    /// </summary>
    public EncryptionKeySelection SelectEncryptionKey(DateTimeOffset now)
    {
        string id = CertificateText.KeyId(PrimaryKey);
        if (_primaryProblem is not null)
            return EncryptionKeySelection.Unusable(_primaryProblem);
        if (_keyRevocation is not null)
            return EncryptionKeySelection.Unusable($"key {id} is revoked ({CertificateText.Reason(_keyRevocation)})");
        if (Expires is { } expires && expires <= now)
            return EncryptionKeySelection.Unusable($"key {id} expired on {CertificateText.Date(expires)}");
        var props = PrimaryProperties();
        if (props is not null && props.IsExpiredAt(now))
            return EncryptionKeySelection.Unusable($"key {id}: its self-signature expired on {CertificateText.Date(props.Created + props.SignatureLifetime!.Value)}");

        var problems = new List<string>();
        CertificateSubkey? best = null;
        foreach (var sub in Subkeys)
        {
            string subId = CertificateText.KeyId(sub.Key);
            bool forEncryption = (sub.Flags & (KeyFlags.EncryptCommunications | KeyFlags.EncryptStorage)) != 0;
            if (sub.Problem is not null)
            {
                // A revoked signing subkey is no news for encryption; a subkey whose binding does
                // not verify may have been the encryption key, so its problem is reported.
                if (sub.Binding is null || forEncryption)
                    problems.Add(sub.Problem);
                continue;
            }

            if (!forEncryption)
                continue;
            if (!KeyMaterialCheck.CanEncrypt(sub.Key.Algorithm))
            {
                problems.Add($"subkey {subId} is flagged for encryption but its algorithm ({sub.Key.Algorithm}) cannot encrypt");
                continue;
            }

            if (sub.Expires is { } subExpires && subExpires <= now)
            {
                problems.Add($"subkey {subId} expired on {CertificateText.Date(subExpires)}");
                continue;
            }

            if (sub.Binding!.IsExpiredAt(now))
            {
                problems.Add($"subkey {subId}: its binding signature expired on {CertificateText.Date(sub.Binding.Created + sub.Binding.SignatureLifetime!.Value)}");
                continue;
            }

            if (sub.Key.Created > now)
            {
                problems.Add($"subkey {subId} is created in the future ({CertificateText.Date(sub.Key.Created)})");
                continue;
            }

            if (best is null || sub.Key.Created >= best.Key.Created)
                best = sub;
        }

        if (best is not null)
            return EncryptionKeySelection.Usable(MakeRecipient(best.Key));

        var primaryFlags = PrimaryFlags();
        if ((primaryFlags & (KeyFlags.EncryptCommunications | KeyFlags.EncryptStorage)) != 0 && KeyMaterialCheck.CanEncrypt(PrimaryKey.Algorithm))
            return EncryptionKeySelection.Usable(MakeRecipient(PrimaryKey));

        if (problems.Count == 1)
            return EncryptionKeySelection.Unusable(problems[0]);
        if (problems.Count > 1)
            return EncryptionKeySelection.Unusable($"key {id} has no usable encryption subkey: {string.Join("; ", problems)}");
        return EncryptionKeySelection.Unusable($"key {id} has no encryption-capable subkey (sign-only)");
    }

    /// <summary>The self-signature that states the primary key's properties: the direct-key signature when it states a key lifetime or is all there is, else the primary user id's.</summary>
    private SignaturePacket? PrimaryProperties()
    {
        if (_directKey is not null && (_directKey.KeyLifetime is not null || _primaryUserId is null || PrimaryKey.Version == 6))
            return _directKey;
        return _primaryUserId?.SelfSignature ?? _directKey;
    }

    private KeyFlags PrimaryFlags()
    {
        var sig = (PrimaryKey.Version == 6 ? _directKey : _primaryUserId?.SelfSignature) ?? _directKey ?? _primaryUserId?.SelfSignature;
        if (sig?.Flags is { } flags)
            return flags;
        if (PrimaryKey.Version == 4 && sig is not null)
            return FallbackFlags(PrimaryKey.Algorithm);
        return KeyFlags.None;
    }

    private EncryptionRecipient MakeRecipient(PublicKeyPacket key)
    {
        // Preferences: v4 from the primary user id's self-signature, v6 from the direct-key
        // signature (RFC 9580 section 5.2.3.10); each falls back to the other when silent.
        var first = PrimaryKey.Version == 6 ? _directKey : _primaryUserId?.SelfSignature;
        var second = PrimaryKey.Version == 6 ? _primaryUserId?.SelfSignature : _directKey;
        var symmetric = first is { PreferredSymmetric.Count: > 0 } ? first.PreferredSymmetric : second?.PreferredSymmetric ?? [];
        var aead = first is { PreferredAeadCiphersuites.Count: > 0 } ? first.PreferredAeadCiphersuites : second?.PreferredAeadCiphersuites ?? [];
        var features = first is { Features.Length: > 0 } ? first.Features : second?.Features ?? ReadOnlyMemory<byte>.Empty;
        bool seipd2 = PrimaryKey.Version == 6 || (features.Length > 0 && (features.Span[0] & 0x08) != 0);
        return new EncryptionRecipient(key, PrimaryKey.Fingerprint, symmetric, aead, seipd2);
    }

    private static CertificateSubkey EvaluateSubkey(PublicKeyPacket primary, PublicKeyPacket subkey, List<SignaturePacket> sigs, SignatureBudget budget)
    {
        string subId = CertificateText.KeyId(subkey);
        SignaturePacket? binding = null;
        SignaturePacket? revocation = null;
        string? bindingFailure = null;
        bool sawBinding = false;
        foreach (var sig in sigs.Where(s => IsSelfIssued(s, primary)).OrderByDescending(s => s.Created))
        {
            if (sig.Type == SignatureType.SubkeyBinding && binding is null)
            {
                sawBinding = true;
                string? problem = subkey.Version != primary.Version
                    ? $"a v{subkey.Version} subkey on a v{primary.Version} primary key"
                    : budget.Verify(sig, primary, SignatureVerifier.Target.Subkey, subkey: subkey);
                if (problem is null)
                    binding = sig;
                else
                    bindingFailure ??= problem;
            }
            else if (sig.Type == SignatureType.SubkeyRevocation && revocation is null)
            {
                if (budget.Verify(sig, primary, SignatureVerifier.Target.Subkey, subkey: subkey) is null)
                    revocation = sig;
            }
        }

        if (binding is null)
        {
            string problem = sawBinding
                ? $"subkey {subId}: binding signature does not verify ({bindingFailure})"
                : $"subkey {subId} has no binding signature from the primary key";
            return new CertificateSubkey(subkey, sigs, KeyFlags.None, false, null, null, revocation, problem);
        }

        KeyFlags flags;
        bool stated = binding.Flags.HasValue;
        if (binding.Flags is { } f)
            flags = f;
        else
            flags = subkey.Version == 4 ? FallbackFlags(subkey.Algorithm) : KeyFlags.None;
        DateTimeOffset? expires = binding.KeyLifetime is { } life ? subkey.Created + life : null;
        string? revoked = revocation is not null ? $"subkey {subId} is revoked ({CertificateText.Reason(revocation)})" : null;
        return new CertificateSubkey(subkey, sigs, flags, stated, expires, binding, revocation, revoked);
    }

    /// <summary>What a v4 key without a key flags subpacket may do, judged from its algorithm (GnuPG's rule).</summary>
    private static KeyFlags FallbackFlags(PublicKeyAlgorithm algorithm)
    {
        var flags = KeyFlags.None;
        if (KeyMaterialCheck.CanEncrypt(algorithm))
            flags |= KeyFlags.EncryptCommunications | KeyFlags.EncryptStorage;
        if (KeyMaterialCheck.CanSign(algorithm))
            flags |= KeyFlags.Sign | KeyFlags.Certify;
        return flags;
    }

    /// <summary>A signature counts as a self-signature if it names the primary key as issuer, or names no issuer at all (then verification decides).</summary>
    private static bool IsSelfIssued(SignaturePacket sig, PublicKeyPacket primary)
        => (sig.IssuerFingerprint is null && sig.IssuerKeyId is null) || sig.IsIssuedBy(primary);
}
