using Mailseal.Core.Cli;

namespace Mailseal.Core.Configuration;

/// <summary>
/// The configuration file or a configuration value is wrong: missing or unreadable
/// <c>--config</c> file, malformed line, unknown name, bad value. The message names the file
/// and line (<c>/etc/mailseal/mailseal.conf:12: unknown name "keydir"</c>). Not transient:
/// the admin must fix it; a filter still reports it as 4.3.5 with exit 75 so mail stays queued.
/// </summary>
public sealed class ConfigurationException : MailsealException
{
    /// <summary>RFC 3463 "system incorrectly configured".</summary>
    public const string ConfigurationStatusCode = "4.3.5";

    /// <summary>Creates the exception.</summary>
    public ConfigurationException()
        : this("configuration error")
    {
    }

    /// <summary>Creates the exception with a message that names no file.</summary>
    public ConfigurationException(string message)
        : base(message, ConfigurationStatusCode, isTransient: false, exitCode: ExitCodes.Config, innerException: null)
    {
    }

    /// <summary>Creates the exception with a message that names no file, and its cause.</summary>
    public ConfigurationException(string message, Exception innerException)
        : base(message, ConfigurationStatusCode, isTransient: false, exitCode: ExitCodes.Config, innerException)
    {
    }

    /// <summary>Creates the exception for a place in a file; the message becomes <c>FILE:LINE: DETAIL</c>.</summary>
    /// <param name="filePath">The configuration file.</param>
    /// <param name="lineNumber">1-based line, or 0 when the problem is the whole file.</param>
    /// <param name="detail">What is wrong, in the admin's words.</param>
    /// <param name="innerException">The cause, or null.</param>
    public ConfigurationException(string filePath, int lineNumber, string detail, Exception? innerException = null)
        : base(FormatMessage(filePath, lineNumber, detail), ConfigurationStatusCode, isTransient: false, exitCode: ExitCodes.Config, innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Detail = detail;
    }

    /// <summary>The file the error is in, or null when the value came from somewhere else.</summary>
    public string? FilePath { get; }

    /// <summary>1-based line number in <see cref="FilePath"/>, 0 for the whole file.</summary>
    public int LineNumber { get; }

    /// <summary>The message without the file and line prefix.</summary>
    public string? Detail { get; }

    private static string FormatMessage(string filePath, int lineNumber, string detail) =>
        lineNumber > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{filePath}:{lineNumber}: {detail}")
            : $"{filePath}: {detail}";
}
