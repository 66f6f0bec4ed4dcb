namespace Mailseal.Core.Configuration;

/// <summary>One <c>name = value</c> line of a configuration file.</summary>
/// <param name="Section">The section (<c>encrypt</c>, <c>pipe</c>, ...) or null for the shared names at the top.</param>
/// <param name="Name">The name, lower case with underscores (<c>key_dir</c>).</param>
/// <param name="Value">The value with surrounding blanks removed; may be empty.</param>
/// <param name="FilePath">The file it was read from.</param>
/// <param name="LineNumber">Its 1-based line number.</param>
public sealed record ConfigurationEntry(string? Section, string Name, string Value, string FilePath, int LineNumber)
{
    /// <summary>Where the entry is, as <c>FILE:LINE</c>, for error messages.</summary>
    public string Location => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{FilePath}:{LineNumber}");
}
