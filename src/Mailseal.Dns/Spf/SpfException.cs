namespace Mailseal.Dns.Spf;

/// <summary>Ends a check early with permerror or temperror.</summary>
internal sealed class SpfException : Exception
{
    public SpfException(SpfResultCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public SpfResultCode Code { get; }

    public static SpfException Perm(string message) => new(SpfResultCode.PermError, message);

    public static SpfException Temp(string message) => new(SpfResultCode.TempError, message);
}
