namespace Mailseal.Core.Logging;

/// <summary>Where a tool's log goes (DESIGN.md, "Contracts every tool keeps", Logging).</summary>
public enum LogMode
{
    /// <summary>A filter in the mail path: syslog only (its stderr goes into bounces).</summary>
    Filter,

    /// <summary>A daemon: stderr for the journal, plus syslog when asked.</summary>
    Daemon,

    /// <summary>A daemon started by spawn(8): stderr belongs to the Postfix connection, so syslog only.</summary>
    Spawn,
}
