using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Core.Keys;

/// <summary>
/// The check every filter makes on the recipient arguments before it looks at the message.
/// An empty argument (the tutorial's wrapper passes "$4", empty when master.cf is wrong), one
/// that is no address at all (no '@', nothing before or after it, a control character), or one
/// whose domain is not a domain name is the same wiring mistake as no argument: the message is
/// deferred (4.3.5, exit 75). Passing it on would be a guess: a recipient that cannot be read
/// cannot be known to be "not local".
/// </summary>
public static class EnvelopeRecipients
{
    /// <summary>RFC 3463 X.3.5 "system incorrectly configured".</summary>
    public const string WiringMistakeStatus = "4.3.5";

    /// <summary>Throws a one-line <see cref="MailsealException"/> (4.3.5, exit 75) for the first recipient argument that is not an address.</summary>
    public static void Validate(IReadOnlyList<string> recipients)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
        {
            throw Mistake("no recipient given (the pipe command must end with ${recipient})");
        }

        foreach (string r in recipients)
        {
            if (Check(r) is { } error)
            {
                throw Mistake(error);
            }
        }
    }

    /// <summary>Null when <paramref name="recipient"/> is an address; otherwise why not, in one line.</summary>
    public static string? Check(string recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        string a = recipient.Trim();
        if (a.Length >= 2 && a[0] == '<' && a[^1] == '>')
        {
            a = a[1..^1];
        }

        if (a.Length == 0)
        {
            return "empty recipient argument (the pipe command's ${recipient} expanded to nothing?)";
        }

        if (a.Any(char.IsControl))
        {
            return $"recipient \"{Printable(a)}\" holds a control character";
        }

        int at = a.LastIndexOf('@');
        if (at <= 0 || at == a.Length - 1)
        {
            return $"recipient \"{Printable(a)}\" is not an address (local@domain)";
        }

        string domain = a[(at + 1)..];
        if (!DomainNames.TryNormalize(domain, out _, out string? error))
        {
            return $"recipient \"{Printable(a)}\": {error}";
        }

        return null;
    }

    private static MailsealException Mistake(string message) =>
        new(message, WiringMistakeStatus, isTransient: false, ExitCodes.TempFail, innerException: null);

    private static string Printable(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 80));
        foreach (char c in s.Length > 80 ? s[..80] : s)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return sb.ToString();
    }
}
