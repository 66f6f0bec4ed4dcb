using System.Diagnostics;
using Mailseal.Core;
using Mailseal.Core.Cli;

namespace Mailseal.Maildir;

/// <summary>
/// The doveadm calls of a run: where a user's Maildir is (the home and mail location Dovecot's
/// mail service works out for the user, userdb overrides included), which users exist (for
/// --all-users), and after the rewrite <c>doveadm force-resync</c> so Dovecot re-reads the
/// folder. Each call is bounded by a timeout and its output by a size; arguments go as a list,
/// never through a shell. Run as the mail user, doveadm needs Dovecot's configuration readable
/// and the auth-userdb socket open to it (dovecot/10-mailseal-maildir.conf): when a call fails
/// the way that wiring fails, the error says so in one line (<see cref="Explain"/>).
/// </summary>
internal sealed class DovecotTools(string doveadm, string? configFile, TimeSpan timeout)
{
    private const int MaxOutputChars = 16 * 1024 * 1024;

    /// <summary>False when the admin switched Dovecot calls off (--doveadm none).</summary>
    public bool Enabled => !string.IsNullOrEmpty(doveadm) && !string.Equals(doveadm, "none", StringComparison.Ordinal);

    /// <summary>
    /// The Maildir root of <paramref name="user"/>, from <c>doveadm user -f home</c> and
    /// <c>-f mail</c>: the values Dovecot's mail service uses for the user (mail_location, or
    /// the userdb's own <c>mail</c> field), so doveconf is not needed.
    /// </summary>
    public async Task<string> MaildirOfAsync(string user, CancellationToken ct)
    {
        string home = (await RunAsync(doveadm, ["user", "-f", "home", user], ct).ConfigureAwait(false)).Trim();
        string location = (await RunAsync(doveadm, ["user", "-f", "mail", user], ct).ConfigureAwait(false)).Trim();
        return MaildirPath(user, home, location);
    }

    /// <summary>The Maildir root from a home and a mail location (maildir:~/PATH, maildir:/PATH); throws when it cannot be worked out.</summary>
    internal static string MaildirPath(string user, string home, string location)
    {
        if (!location.StartsWith("maildir:", StringComparison.Ordinal))
            throw Fail($"{user}'s mail location is \"{location}\", not maildir: give --maildir");
        string path = location["maildir:".Length..].Split(':')[0];
        if (path.StartsWith("~/", StringComparison.Ordinal) && home.Length > 0 && home[0] == '/' && !path.Contains('%', StringComparison.Ordinal))
            return Path.Combine(home, path[2..]);
        if (path.Length > 0 && path[0] == '/' && !path.Contains('%', StringComparison.Ordinal))
            return path;
        throw Fail($"cannot work out {user}'s Maildir from mail location \"{location}\" and home \"{home}\": give --maildir");
    }

    /// <summary>Every user the userdb lists (doveadm user '*', which needs iterate_query).</summary>
    public async Task<IReadOnlyList<string>> UsersAsync(CancellationToken ct)
    {
        string output = await RunAsync(doveadm, ["user", "*"], ct).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>doveadm force-resync for one folder: Dovecot rescans it and rebuilds its index from the files.</summary>
    public Task ForceResyncAsync(string user, string folder, CancellationToken ct) =>
        RunAsync(doveadm, ["force-resync", "-u", user, folder], ct);

    private async Task<string> RunAsync(string program, string[] arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (!string.IsNullOrEmpty(configFile))
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(configFile);
        }

        foreach (string a in arguments)
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw Fail($"cannot start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw Fail($"cannot start {program}: {e.Message} (--doveadm names it; none switches Dovecot calls off)");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = ReadBoundedAsync(process.StandardOutput);
            var stderr = ReadBoundedAsync(process.StandardError);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw Fail($"{program} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
            }

            string output = await stdout.ConfigureAwait(false);
            string error = (await stderr.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0)
                throw Fail($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {FirstLine(error)}{Explain(error, Posix.EffectiveUserId)}");
            return output;
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader)
    {
        var buffer = new char[64 * 1024];
        var sb = new System.Text.StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (sb.Length < MaxOutputChars)
                sb.Append(buffer, 0, Math.Min(n, MaxOutputChars - sb.Length));
        }

        return sb.ToString();
    }

    /// <summary>
    /// What to do, when doveadm failed the way the mail user's wiring fails (empty otherwise):
    /// Dovecot's configuration unreadable, or the auth-userdb socket keeping a non-root client
    /// to lookups whose userdb reply names its own uid (with a global mail_uid: none) and to no
    /// user listing at all. doveadm itself only says "Internal error" for the latter; the reason
    /// is in Dovecot's log.
    /// </summary>
    internal static string Explain(string error, uint euid)
    {
        if (euid == 0)
            return string.Empty;
        if (error.Contains("Permission denied", StringComparison.Ordinal) &&
            (error.Contains("conf", StringComparison.OrdinalIgnoreCase) || error.Contains("ssl_", StringComparison.Ordinal)))
        {
            return $" (doveadm runs as uid {euid} here and cannot read Dovecot's configuration or a file it names: see \"doveadm as the mail user\" in docs/maildir.md)";
        }

        if (error.Contains("Internal error", StringComparison.Ordinal) || error.Contains("lookup failed", StringComparison.Ordinal) ||
            error.Contains("User listing", StringComparison.Ordinal) || error.Contains("auth-userdb", StringComparison.Ordinal))
        {
            return $" (doveadm runs as uid {euid} here: Dovecot's auth-userdb socket must let the mail user's group in, dovecot/10-mailseal-maildir.conf; see \"doveadm as the mail user\" in docs/maildir.md)";
        }

        return string.Empty;
    }

    private static string FirstLine(string text)
    {
        int nl = text.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? text : text[..nl];
    }

    private static MailsealException Fail(string message) =>
        new(message, "4.3.0", isTransient: true, ExitCodes.TempFail, null);
}
