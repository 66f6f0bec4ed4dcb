using System.Text;

namespace Mailseal.Benchmarks;

/// <summary>Plain aligned columns: the first column left-aligned, the others right-aligned (numbers).</summary>
public sealed class TextTable
{
    private readonly string[] _header;
    private readonly List<string[]> _rows = [];

    /// <summary>A table with these column titles.</summary>
    public TextTable(params string[] header) => _header = header;

    /// <summary>Adds a row (as many cells as columns).</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != _header.Length)
            throw new ArgumentException($"expected {_header.Length} cells, got {cells.Length}", nameof(cells));
        _rows.Add(cells);
    }

    /// <summary>Writes the header, a rule, and the rows.</summary>
    public void WriteTo(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int[] widths = _header.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Format(_header, widths));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
            output.WriteLine(Format(row, widths));
    }

    private static string Format(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                line.Append("  ");
            line.Append(i == 0 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
        }

        return line.ToString().TrimEnd();
    }
}
