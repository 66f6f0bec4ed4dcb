namespace Mailseal.Admin.Zone;

/// <summary>One resource record as a zone file writes it, with an absolute owner name.</summary>
/// <param name="Name">Owner name with the trailing dot.</param>
/// <param name="Type">Type mnemonic (MX, TXT, OPENPGPKEY, ...).</param>
/// <param name="Data">Presentation-format data (TXT strings already quoted and split).</param>
/// <param name="Comment">Printed on the line before the record; null for none.</param>
/// <param name="Placeholder">True when the record is a template to fill in: printed commented out, so pasting it publishes nothing wrong.</param>
internal sealed record ZoneRecord(string Name, string Type, string Data, string? Comment = null, bool Placeholder = false);
