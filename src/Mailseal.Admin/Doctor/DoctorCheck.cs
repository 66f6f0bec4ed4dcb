namespace Mailseal.Admin.Doctor;

/// <summary>One line of <c>doctor</c>: OK, WARN or FAIL, what was checked, what was found and the fix.</summary>
internal sealed record DoctorCheck(string Status, string Name, string Detail, string? Fix = null)
{
    public const string Ok = "OK";
    public const string Warn = "WARN";
    public const string Fail = "FAIL";

    public override string ToString() => $"{Status,-4} {Name}: {Detail}" + (Fix is null ? string.Empty : " -> " + Fix);
}
