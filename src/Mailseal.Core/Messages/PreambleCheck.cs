using System.Text;

namespace Mailseal.Core.Messages;

/// <summary>
/// Decides whether the preamble of a multipart body (the text before its first part, which a
/// message passed on unchanged keeps in the clear) is what OpenPGP clients write there, and so
/// cannot be the author's text: blank lines, and at most one note from <see cref="KnownNotes"/>
/// (Thunderbird, Enigmail, GPGTools and Mailseal write the first; KMail and older Enigmail the
/// second; the generic MIME notes come from mail libraries; mutt and GnuPG-based tools write no
/// preamble). Anything else, even one word, makes the body plaintext: it is encrypted (again).
/// Line by line, so a streamed body is checked the same way (<see cref="Accept"/>).
/// </summary>
internal sealed class PreambleCheck
{
    /// <summary>The notes a preamble may hold, compared after trimming blanks.</summary>
    public static readonly IReadOnlyList<string> KnownNotes =
    [
        "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)",
        "This is an OpenPGP/MIME encrypted message (RFC 2440 and 3156)",
        "This is an OpenPGP/MIME encrypted message",
        "This is a multi-part message in MIME format.",
        "This is a multipart message in MIME format.",
        "This is a MIME-formatted message.",
    ];

    /// <summary>Longest preamble taken, blank lines included; bounds the work on a hostile one.</summary>
    public const int MaxBytes = 1024;

    private static readonly byte[][] Notes = [.. KnownNotes.Select(Encoding.ASCII.GetBytes)];

    private long _bytes;
    private bool _sawNote;
    private bool _invalid;

    /// <summary>False once the preamble is known to hold more than a client's note.</summary>
    public bool IsAllowed => !_invalid;

    /// <summary>Takes one preamble line, without its line break. Returns <see cref="IsAllowed"/>.</summary>
    public bool Accept(ReadOnlySpan<byte> line)
    {
        if (_invalid)
            return false;
        if ((_bytes += line.Length + 1) > MaxBytes)
        {
            _invalid = true;
            return false;
        }

        var trimmed = line.Trim(" \t\r"u8);
        if (trimmed.IsEmpty)
            return true;
        if (_sawNote || !IsNote(trimmed))
            _invalid = true;
        _sawNote = true;
        return !_invalid;
    }

    /// <summary>Checks a whole preamble held in memory.</summary>
    public static bool IsAllowedPreamble(ReadOnlySpan<byte> preamble)
    {
        var check = new PreambleCheck();
        while (!preamble.IsEmpty)
        {
            var nl = preamble.IndexOf((byte)'\n');
            var line = nl < 0 ? preamble : preamble[..nl];
            preamble = nl < 0 ? ReadOnlySpan<byte>.Empty : preamble[(nl + 1)..];
            if (!check.Accept(line))
                return false;
        }

        return true;
    }

    private static bool IsNote(ReadOnlySpan<byte> line)
    {
        foreach (var note in Notes)
        {
            if (line.SequenceEqual(note))
                return true;
        }

        return false;
    }
}
