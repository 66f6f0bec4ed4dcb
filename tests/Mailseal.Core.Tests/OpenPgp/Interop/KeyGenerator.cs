namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>The implementation that generates a test key: keys made by each stack exercise its own choices (preferences, features, key flags).</summary>
public enum KeyGenerator
{
    /// <summary>GnuPG 2.2 (<c>gpg --quick-gen-key</c>).</summary>
    GnuPG,

    /// <summary>Sequoia (<c>sq key generate --cipher-suite</c>).</summary>
    Sequoia,

    /// <summary>RNP (<c>rnpkeys --generate-key</c>, optionally <c>--expert</c>).</summary>
    Rnp,

    /// <summary>OpenPGP.js 6 with <c>v6Keys</c>: RFC 9580 v6 keys.</summary>
    OpenPgpJs,
}
