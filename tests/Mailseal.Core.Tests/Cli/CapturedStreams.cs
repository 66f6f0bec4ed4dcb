using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Core.Tests.Cli;

/// <summary>A tool's context over in-memory streams: empty stdin, and what it wrote to stdout and stderr.</summary>
internal sealed class CapturedStreams
{
    private readonly MemoryStream _out = new();
    private readonly StringWriter _err = new();

    public CapturedStreams() => Context = new ToolContext(new MemoryStream(), _out, _err);

    public ToolContext Context { get; }

    public string Out => Encoding.UTF8.GetString(_out.ToArray());

    public string Err => _err.ToString();
}
