using System.Text;

namespace Mailseal.Admin.Output;

/// <summary>
/// Plain aligned columns for list output (Spectre.Console's tables are not needed for this and
/// would add its code to the native binary). Control characters in a cell are shown as
/// <c>\xNN</c>, so a hostile value stored literally cannot move the terminal's cursor.
/// </summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] headers) => _headers = headers;

    public void Add(params string?[] cells) => _rows.Add(cells.Select(c => Safe(c ?? "-")).ToArray());

    public string Render()
    {
        int[] widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        Line(sb, _headers, widths);
        foreach (string[] row in _rows)
            Line(sb, row, widths);
        return sb.ToString();
    }

    /// <summary>The value with control characters escaped.</summary>
    public static string Safe(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Any(char.IsControl))
            return value;
        var sb = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            if (char.IsControl(c))
                sb.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else
                sb.Append(c);
        }

        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string[] cells, int[] widths)
    {
        for (int i = 0; i < cells.Length; i++)
        {
            if (i == cells.Length - 1)
                sb.Append(cells[i]);
            else
                sb.Append(cells[i].PadRight(widths[i])).Append("  ");
        }

        sb.Append('\n');
    }
}
