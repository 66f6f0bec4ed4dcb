namespace Mailseal.Core.Configuration;

/// <summary>
/// Bounds on a configuration file. The file is root-owned, but a tool reads it on every
/// message, so a runaway file (a log accidentally named mailseal.conf, a binary) must give a
/// clear error instead of eating memory.
/// </summary>
public sealed record ConfigurationLimits
{
    /// <summary>The defaults: 4096 characters per line, 1 MiB per file, 2000 entries.</summary>
    public static ConfigurationLimits Default { get; } = new();

    /// <summary>Longest line in characters, without the line ending. Stops one huge line from being buffered.</summary>
    public int MaxLineLength { get; init; } = 4096;

    /// <summary>Largest file in bytes. Stops reading a wrong file (a log, a device) whole.</summary>
    public long MaxFileBytes { get; init; } = 1024 * 1024;

    /// <summary>Most name = value entries over all sections.</summary>
    public int MaxEntries { get; init; } = 2000;
}
