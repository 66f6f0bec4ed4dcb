// Placeholder entry point; the tool's issue replaces it.
return Mailseal.Core.ExitCodes.TempFail;
