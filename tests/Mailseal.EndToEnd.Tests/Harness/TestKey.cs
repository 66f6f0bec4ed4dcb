namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>An OpenPGP key generated with GnuPG for a test account.</summary>
/// <param name="Email">The user id's address.</param>
/// <param name="Fingerprint">The primary key's fingerprint, upper-case hex.</param>
/// <param name="PublicKeyArmored">The certificate, ASCII armored.</param>
/// <param name="SecretKeyArmored">The secret key, ASCII armored, unprotected.</param>
/// <param name="GnupgHome">The GnuPG home holding it (decrypt with <c>gpg --homedir</c>).</param>
public sealed record TestKey(string Email, string Fingerprint, string PublicKeyArmored, string SecretKeyArmored, string GnupgHome);
