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

    /// <summary>A document that is an array with one object per item; <paramref name="writeFields"/> writes an item's fields.</summary>
    public static Task WriteObjectsAsync<T>(TextWriter output, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeFields, CancellationToken ct) =>
        WriteAsync(output, w =>
        {
            w.WriteStartArray();
            foreach (T item in items)
            {
                w.WriteStartObject();
                writeFields(w, item);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }, ct);
}
