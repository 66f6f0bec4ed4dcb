// Placeholder entry point; replaced by the tool.
return Mailseal.Core.ExitCodes.TempFail;
