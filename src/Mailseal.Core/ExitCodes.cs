namespace Mailseal.Core;

/// <summary>
/// sysexits.h codes, the only exit statuses a Mailseal tool returns. Postfix's pipe(8) and
/// local(8) map 75 to "defer" (the mail stays queued) and other non-zero codes to a bounce,
/// so anything the admin can fix or that may pass later must be <see cref="TempFail"/>.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>EX_USAGE: only for interactive commands, never for a filter in the mail path.</summary>
    public const int Usage = 64;

    /// <summary>EX_DATAERR: interactive commands given bad input.</summary>
    public const int DataError = 65;

    /// <summary>EX_NOUSER: a configured policy asks to bounce an unknown or keyless recipient.</summary>
    public const int NoUser = 67;

    /// <summary>EX_UNAVAILABLE: a configured policy asks for a permanent bounce.</summary>
    public const int Unavailable = 69;

    /// <summary>EX_SOFTWARE: reserved; a bug in the mail path is reported as <see cref="TempFail"/>.</summary>
    public const int Software = 70;

    /// <summary>EX_TEMPFAIL: Postfix keeps the mail queued and retries.</summary>
    public const int TempFail = 75;

    /// <summary>EX_CONFIG: only for interactive commands (a filter reports configuration trouble as 75).</summary>
    public const int Config = 78;
}
