using System.Text;

namespace Mailseal.Policy.Tests;

/// <summary>
/// A recorded policy conversation (TestData/transcripts/*.txt): "C: " lines are what the client
/// sends, "S: " lines what the server must answer, "#" lines are comments. A bare "C:" or "S:"
/// is a blank line. Like MailKit's SmtpReplayStream, the client bytes are handed out in small
/// uneven chunks so the reader's buffer handling is exercised.
/// </summary>
internal sealed class ReplayTranscript
{
    private ReplayTranscript(byte[] client, string server)
    {
        Client = client;
        Server = server;
    }

    public byte[] Client { get; }

    public string Server { get; }

    public static ReplayTranscript Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "transcripts", name);
        var client = new StringBuilder();
        var server = new StringBuilder();
        foreach (var line in File.ReadAllLines(path, Encoding.UTF8))
        {
            if (line.StartsWith('#') || line.Length == 0)
                continue;
            var text = line.Length > 3 ? line[3..] : string.Empty;
            if (line.StartsWith("C:", StringComparison.Ordinal))
                client.Append(text).Append('\n');
            else if (line.StartsWith("S:", StringComparison.Ordinal))
                server.Append(text).Append('\n');
            else
                throw new InvalidDataException($"{name}: line must start with C:, S: or #: {line}");
        }

        return new ReplayTranscript(Encoding.UTF8.GetBytes(client.ToString()), server.ToString());
    }
}
