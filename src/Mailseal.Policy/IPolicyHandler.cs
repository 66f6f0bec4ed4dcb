namespace Mailseal.Policy;

/// <summary>
/// Decides one Postfix policy-delegation request. Implementations must be safe to call from
/// many connections at once. An exception thrown here is logged by the server and the
/// connection is closed without a reply, so Postfix applies its own default (a temporary
/// "451 4.3.5 Server configuration problem"): a handler bug never lets mail through silently.
/// </summary>
public interface IPolicyHandler
{
    /// <summary>Answers one request.</summary>
    /// <param name="request">The attributes Postfix sent.</param>
    /// <param name="cancellationToken">Cancelled when the server stops or the connection goes away.</param>
    ValueTask<PolicyResponse> HandleAsync(PolicyRequest request, CancellationToken cancellationToken);
}
