using Microsoft.Win32.SafeHandles;
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
    private readonly TextWriter? _error;
    private readonly Lazy<TextWriter>? _lazyError;
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
        _error = error;
        _out = outWriter;
    }

    /// <summary>Standard input.</summary>
    public Stream Input { get; }

    /// <summary>Standard output as bytes (a filter writes the message here).</summary>
    public Stream Output { get; }

    /// <summary>Standard output as text (help, man page, admin listings). Flushes on every write.</summary>
    public TextWriter Out => _out ??= new StreamWriter(Output, new System.Text.UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { AutoFlush = true };

    /// <summary>Standard error.</summary>
    public TextWriter Error => _error ?? _lazyError!.Value;

    /// <summary>The configuration file's values for this tool (shared names plus its section); defaults until the host loads the file.</summary>
    public ToolSettings Settings { get; set; } = ToolSettings.Defaults;

    /// <summary>A context over the process's standard streams, as <see cref="Console"/> opens them.</summary>
    public static ToolContext FromConsole() =>
        new(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);

    /// <summary>
    /// A context for a filter that Postfix starts once per message (pipe(8)): stdin and stdout
    /// are plain file streams over descriptors 0 and 1 whose reads and writes block the calling
    /// thread, also through the asynchronous methods (see <see cref="BlockingStream"/>); the
    /// stderr writer is only created when something is written. This skips the console layer
    /// (terminal set-up, console encodings) and the thread pool, which a process that exists to
    /// pass one message through would otherwise start every time. Not for tools that need a
    /// read on stdin to time out (spawn(8) policy services): use <see cref="FromConsole"/>.
    /// </summary>
    public static ToolContext ForFilter()
    {
        var error = new Lazy<TextWriter>(() => new StreamWriter(OpenStandard(2, FileAccess.Write), new System.Text.UTF8Encoding(false), bufferSize: 1024, leaveOpen: false) { AutoFlush = true });
        return new ToolContext(new BlockingStream(OpenStandard(0, FileAccess.Read)), new BlockingStream(OpenStandard(1, FileAccess.Write)), error);
    }

    private ToolContext(Stream input, Stream output, Lazy<TextWriter> error)
    {
        Input = input;
        Output = output;
        _lazyError = error;
    }

    private static Stream OpenStandard(int descriptor, FileAccess access)
    {
        SafeFileHandle? handle = null;
        try
        {
            handle = new SafeFileHandle(descriptor, ownsHandle: false);
            var stream = new FileStream(handle, access, bufferSize: 0);
            handle = null; // the stream owns the wrapper now; the descriptor itself is never closed by it
            return stream;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // A closed or unusual descriptor: the console layer copes (it reads nothing, writes nowhere).
            return descriptor switch
            {
                0 => Console.OpenStandardInput(),
                1 => Console.OpenStandardOutput(),
                _ => Console.OpenStandardError(),
            };
        }
        finally
        {
            handle?.Dispose();
        }
    }
}
