namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// What <see cref="Processing.MessageProcessor"/> needs of a re-injector: <see cref="Reinjector"/>
/// in production. The seam lets the tests run the processor's copies on another implementation
/// (issue #11's MailKit probe) with the same cases.
/// </summary>
internal interface IReinjector
{
    /// <summary>See <see cref="Reinjector.SendAsync(string, IReadOnlyList{string}, Func{Stream, CancellationToken, Task}, bool, XForward?, DsnParameters?, CancellationToken)"/>.</summary>
    Task<ReinjectResult> SendAsync(
        string sender,
        IReadOnlyList<string> recipients,
        Func<Stream, CancellationToken, Task> writeMessage,
        bool eightBit,
        XForward? forward,
        DsnParameters? dsn,
        CancellationToken cancellationToken);
}
