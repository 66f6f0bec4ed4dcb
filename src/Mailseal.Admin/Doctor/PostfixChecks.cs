using System.Text.RegularExpressions;

namespace Mailseal.Admin.Doctor;

/// <summary>
/// Reads Postfix's configuration the way Postfix itself does (<c>postconf -n</c>, <c>-P</c>,
/// <c>-M</c> on the given config directory, never by parsing main.cf) and checks that the
/// postfix/ fragments are applied: a content filter on the receiving listeners and not in main.cf,
/// its transport defined and answering, and every policy service answering.
/// </summary>
internal static partial class PostfixChecks
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public static async Task<List<DoctorCheck>> RunAsync(string configDirectory, CancellationToken ct)
    {
        var checks = new List<DoctorCheck>();
        var main = await PostconfAsync(["-c", configDirectory, "-n"], checks, ct).ConfigureAwait(false);
        var overrides = await PostconfAsync(["-c", configDirectory, "-P"], checks, ct).ConfigureAwait(false);
        var services = await PostconfAsync(["-c", configDirectory, "-M"], checks, ct).ConfigureAwait(false);
        if (main is null || overrides is null || services is null)
            return checks;

        // service name/type -> the rest of its master.cf line
        var master = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (string line in services)
        {
            string[] f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 8)
                master[f[0] + "/" + f[1]] = f;
        }

        Dictionary<string, string> mainValues = Values(main);
        Dictionary<string, string> serviceValues = Values(overrides);

        if (mainValues.TryGetValue("content_filter", out string? global) && global.Length > 0)
            checks.Add(new(DoctorCheck.Fail, "postfix content_filter", $"main.cf sets content_filter = {global}: pickup would send re-injected copies through the filter again (a loop)", "postconf -c " + configDirectory + " -X content_filter; set it per listener as postfix/mailseal-pipe.postconf does"));

        var filters = serviceValues.Where(kv => kv.Key.EndsWith("/inet/content_filter", StringComparison.Ordinal) && kv.Value.Length > 0).ToList();
        if (filters.Count == 0)
            checks.Add(new(DoctorCheck.Fail, "postfix content_filter", "no smtpd listener has a content_filter: incoming mail is stored as it arrives, in plaintext", "apply postfix/mailseal-pipe.postconf or postfix/mailseal-filterd.postconf with postfix/apply.sh"));
        foreach ((string key, string value) in filters)
            checks.Add(await CheckFilterAsync(key[..key.IndexOf('/', StringComparison.Ordinal)], value, master, ct).ConfigureAwait(false));

        // Policy services named in any restriction list, in main.cf or as a listener's -o override.
        var targets = mainValues.Concat(serviceValues)
            .Where(kv => kv.Key.Contains("restrictions", StringComparison.Ordinal))
            .SelectMany(kv => PolicyService().Matches(kv.Value).Select(m => m.Groups[1].Value.TrimEnd(',')))
            .Distinct(StringComparer.Ordinal).ToList();
        foreach (string target in targets)
        {
            if (!target.StartsWith("inet:", StringComparison.Ordinal) && !target.StartsWith("unix:", StringComparison.Ordinal) && !target.Contains(':', StringComparison.Ordinal))
            {
                // A master.cf service (spawn(8) on private/NAME): Postfix starts it per connection.
                string name = target.StartsWith("private/", StringComparison.Ordinal) ? target[8..] : target;
                checks.Add(master.ContainsKey(name + "/unix")
                    ? new(DoctorCheck.Ok, "postfix policy " + target, "a master.cf service, started by Postfix for each connection")
                    : new(DoctorCheck.Fail, "postfix policy " + target, $"check_policy_service names {target}, which master.cf does not define", "apply postfix/mailseal-spfd.postconf, or point it at the daemon (inet:HOST:PORT)"));
                continue;
            }

            string? problem = await ServiceProbe.PolicyAnswerAsync(target, Wait, ct).ConfigureAwait(false);
            checks.Add(problem is null
                ? new(DoctorCheck.Ok, "postfix policy " + target, "answers a policy request")
                : new(DoctorCheck.Fail, "postfix policy " + target, problem + ": smtpd then defers every recipient (default_policy_action unset)", "start the daemon (systemctl start mailseal-spfd / mailseal-greyd) or fix its --listen"));
        }

        string maps = mainValues.GetValueOrDefault("virtual_mailbox_maps", string.Empty);
        checks.Add(maps.Contains("mailseal-pgsql-mailboxes.cf", StringComparison.Ordinal)
            ? new(DoctorCheck.Ok, "postfix mailboxes", "virtual_mailbox_maps reads the accounts schema")
            : new(DoctorCheck.Warn, "postfix mailboxes", $"virtual_mailbox_maps = {(maps.Length == 0 ? "(unset)" : maps)} does not read the accounts schema", "apply postfix/mailseal-virtual-lmtp.postconf"));
        return checks;
    }

    private static async Task<DoctorCheck> CheckFilterAsync(string listener, string filter, Dictionary<string, string[]> master, CancellationToken ct)
    {
        string name = $"postfix {listener} content_filter";
        int colon = filter.IndexOf(':', StringComparison.Ordinal);
        string transport = colon < 0 ? filter : filter[..colon];
        string nexthop = colon < 0 ? string.Empty : filter[(colon + 1)..];
        if (!master.TryGetValue(transport + "/unix", out string[]? entry))
            return new(DoctorCheck.Fail, name, $"{filter} names the transport {transport}, which master.cf does not define: mail waits in the queue", "apply the postfix/ fragment that defines it");
        string command = entry[7];
        if (command == "pipe")
        {
            string? argv = entry.Skip(8).FirstOrDefault(a => a.StartsWith("argv=", StringComparison.Ordinal))?[5..];
            if (argv is null || !Path.GetFileName(argv).StartsWith("mailseal", StringComparison.Ordinal))
                return new(DoctorCheck.Warn, name, $"{transport} is a pipe to {argv ?? "(no argv)"}, not mailseal-pipe");
            return File.Exists(argv) && (File.GetUnixFileMode(argv) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0
                ? new(DoctorCheck.Ok, name, $"{filter}: pipe to {argv}")
                : new(DoctorCheck.Fail, name, $"{transport} runs {argv}, which is missing or not executable: mail is deferred", "install mailseal, or fix argv= in master.cf");
        }

        if (command is "smtp" or "lmtp")
        {
            string target = nexthop.Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal);
            if (target.StartsWith("inet:", StringComparison.Ordinal))
                target = target[5..];
            string? problem = await ServiceProbe.SmtpGreetingAsync(target, Wait, ct).ConfigureAwait(false);
            return problem is null
                ? new(DoctorCheck.Ok, name, $"{filter}: the filter greets on {target}")
                : new(DoctorCheck.Fail, name, $"{filter}: {target} {problem}: mail waits in the queue", "start mailseal-filterd (systemctl start mailseal-filterd) or fix its --listen");
        }

        return new(DoctorCheck.Warn, name, $"{filter}: transport {transport} runs {command}, which doctor does not probe");
    }

    private static async Task<List<string>?> PostconfAsync(string[] args, List<DoctorCheck> checks, CancellationToken ct)
    {
        (int code, string output, string error) = await CommandRunner.RunAsync("postconf", args, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (code == 0)
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        checks.Add(new(DoctorCheck.Fail, "postfix", $"postconf {string.Join(' ', args)}: {error.Trim().Split('\n')[0]}", "give the Postfix config directory with --postfix-config"));
        return null;
    }

    private static Dictionary<string, string> Values(List<string> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            int eq = line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq > 0)
                values[line[..eq].Trim()] = line[(eq + 3)..].Trim();
            else if (line.EndsWith(" =", StringComparison.Ordinal))
                values[line[..^2].Trim()] = string.Empty;
        }

        return values;
    }

    [GeneratedRegex(@"check_policy_service\s+(?:\{\s*)?([^\s,}]+)")]
    private static partial Regex PolicyService();
}
