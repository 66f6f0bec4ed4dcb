using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Admin.Passwords;

/// <summary>
/// Reads a new password the way passwd(1) does, never from the command line (argv is visible
/// to every user in ps and lands in shell history): from the terminal, without echo, twice;
/// or, when stdin is not a terminal (a script: <c>printf '%s\n' "$pw" | mailseal-admin user
/// passwd bob@example.org</c>), the first line of stdin, its line ending removed.
/// </summary>
internal static class PasswordReader
{
    private const int MaxLineBytes = PasswordHasher.MaxPasswordBytes + 2;

    public static async Task<string> ReadNewAsync(ToolContext context, bool terminal, CancellationToken ct)
    {
        if (terminal)
        {
            string first = Prompt(context, "New password: ");
            string second = Prompt(context, "Retype new password: ");
            if (!string.Equals(first, second, StringComparison.Ordinal))
                throw AccountsRefusal("the passwords do not match; nothing changed");
            return first;
        }

        return await ReadLineAsync(context.Input, ct).ConfigureAwait(false);
    }

    private static string Prompt(ToolContext context, string prompt)
    {
        context.Error.Write(prompt);
        context.Error.Flush();
        var sb = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                    sb.Length--;
                continue;
            }

            if (sb.Length > PasswordHasher.MaxPasswordBytes)
                throw AccountsRefusal("the password is too long");
            sb.Append(key.KeyChar);
        }

        context.Error.WriteLine();
        return sb.ToString();
    }

    /// <summary>The first line of <paramref name="input"/> (LF or CRLF ended, or up to end of input), at most <see cref="PasswordHasher.MaxPasswordBytes"/> bytes.</summary>
    internal static async Task<string> ReadLineAsync(Stream input, CancellationToken ct)
    {
        byte[] buffer = new byte[MaxLineBytes + 1];
        int length = 0;
        var one = new byte[1];
        while (length < buffer.Length)
        {
            int read = await input.ReadAsync(one, ct).ConfigureAwait(false);
            if (read == 0 || one[0] == (byte)'\n')
                break;
            buffer[length++] = one[0];
        }

        if (length == buffer.Length)
            throw AccountsRefusal($"the password on stdin is longer than {PasswordHasher.MaxPasswordBytes} bytes");
        if (length > 0 && buffer[length - 1] == (byte)'\r')
            length--;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw AccountsRefusal("the password on stdin is not UTF-8");
        }
        finally
        {
            Array.Clear(buffer);
        }
    }

    private static MailsealException AccountsRefusal(string message) => Accounts.AccountStore.Refused(message);
}
