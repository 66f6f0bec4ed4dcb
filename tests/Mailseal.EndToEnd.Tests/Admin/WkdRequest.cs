namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>One request <see cref="WkdHttpsServer"/> answered (or a TLS handshake that failed: <see cref="Status"/> 0, the reason in <see cref="Target"/>).</summary>
/// <param name="Host">The Host header, lower-cased, without a port.</param>
/// <param name="Target">The request target as sent (path and query).</param>
/// <param name="Status">The HTTP status answered.</param>
/// <param name="Body">The bytes served (empty unless 200).</param>
internal sealed record WkdRequest(string Host, string Target, int Status, byte[] Body)
{
    /// <summary>The target without its query (<c>?l=local</c>).</summary>
    public string Path => Target.Split('?')[0];
}
