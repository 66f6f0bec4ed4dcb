using System.Text;
using System.Text.Json;

namespace Mailseal.Admin.Output;

/// <summary><c>--json</c> output, written with <see cref="Utf8JsonWriter"/> (no reflection: NativeAOT-clean), one document per command.</summary>
internal static class JsonOutput
{
    public static async Task WriteAsync(TextWriter output, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray()).AsMemory(), ct).ConfigureAwait(false);
    }
}
