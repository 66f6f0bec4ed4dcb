using Mailseal.Core.Configuration;

namespace Mailseal.Core.Cli;

/// <summary>
/// The streams a tool talks through and the settings it runs with. Tools read and write only
/// through this object, never <see cref="Console"/> directly, so tests see exactly what a user
/// (or Postfix) would see. <see cref="ToolHost"/> fills in <see cref="Settings"/> before the
/// command's action runs.
/// </summary>
public sealed class ToolContext
{
    private TextWriter? _out;

    /// <summary>Creates a context over the given streams.</summary>
    /// <param name="input">Standard input (bytes: a message is not text).</param>
    /// <param name="output">Standard output (bytes).</param>
    /// <param name="error">Standard error (one-line diagnostics).</param>
    /// <param name="outWriter">Text view of standard output for help and listings; null = a UTF-8 writer over <paramref name="output"/>.</param>
    public ToolContext(Stream input, Stream output, TextWriter error, TextWriter? outWriter = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Input = input;
        Output = output;
        Error = error;
        _out = outWriter;
    }

    /// <summary>Standard input.</summary>
    public Stream Input { get; }

    /// <summary>Standard output as bytes (a filter writes the message here).</summary>
    public Stream Output { get; }

    /// <summary>Standard output as text (help, man page, admin listings). Flushes on every write.</summary>
    public TextWriter Out => _out ??= new StreamWriter(Output, new System.Text.UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { AutoFlush = true };

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>The configuration file's values for this tool (shared names plus its section); defaults until the host loads the file.</summary>
    public ToolSettings Settings { get; set; } = ToolSettings.Defaults;

    /// <summary>A context over the process's standard streams.</summary>
    public static ToolContext FromConsole() =>
        new(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
}
