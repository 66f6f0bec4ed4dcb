namespace Mailseal.Core.Cli;

/// <summary>One tagged paragraph of a man page section (rendered with <c>.TP</c>): an exit code, a file, a diagnostic.</summary>
/// <param name="Term">The tag, set in bold (<c>75</c>, <c>/etc/mailseal/mailseal.conf</c>).</param>
/// <param name="Text">What it means; plain text.</param>
public sealed record ManPageItem(string Term, string Text);
