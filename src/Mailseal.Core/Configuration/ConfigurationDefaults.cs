namespace Mailseal.Core.Configuration;

/// <summary>The embedded defaults, used when /etc/mailseal/mailseal.conf does not exist.</summary>
public static class ConfigurationDefaults
{
    /// <summary>The configuration file every tool reads unless <c>--config</c> names another.</summary>
    public const string ConfigPath = "/etc/mailseal/mailseal.conf";

    /// <summary>Default <c>key_dir</c>.</summary>
    public const string KeyDir = "/etc/mailseal/keys";

    /// <summary>Default <c>database</c>: empty, the key folder only.</summary>
    public const string Database = "";

    /// <summary>Default <c>local_domains</c>: none.</summary>
    public const string LocalDomains = "";

    /// <summary>Default <c>recipient_delimiter</c>, as Postfix's usual setting.</summary>
    public const string RecipientDelimiter = "+";

    /// <summary>Default <c>syslog_socket</c>.</summary>
    public const string SyslogSocket = "/dev/log";

    /// <summary>The default value of a shared name, or null for a name that is not shared.</summary>
    public static string? ForSharedName(string name) => name switch
    {
        ConfigurationNames.KeyDir => KeyDir,
        ConfigurationNames.Database => Database,
        ConfigurationNames.LocalDomains => LocalDomains,
        ConfigurationNames.RecipientDelimiter => RecipientDelimiter,
        ConfigurationNames.SyslogSocket => SyslogSocket,
        _ => null,
    };
}
