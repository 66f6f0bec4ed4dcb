namespace Mailseal.Core.Cli;

/// <summary>
/// A section a tool adds to its man page beyond what its command definition gives
/// (DESCRIPTION, CONFIGURATION, EXIT STATUS, DIAGNOSTICS, SECURITY, FILES, SEE ALSO).
/// </summary>
/// <param name="Title">Section title; rendered upper case.</param>
/// <param name="Text">
/// Plain text. A blank line separates paragraphs; a paragraph whose every line starts with
/// four spaces is an example shown verbatim. Roff is escaped: write plain text, not roff.
/// </param>
/// <param name="Items">Tagged paragraphs rendered after the text, or null.</param>
public sealed record ManPageSection(string Title, string Text, IReadOnlyList<ManPageItem>? Items = null);
