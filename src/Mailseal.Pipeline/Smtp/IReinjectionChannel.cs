namespace Mailseal.Pipeline.Smtp;

/// <summary>The two byte streams of an SMTP dialogue and a way to cut it off without a final dot.</summary>
internal interface IReinjectionChannel : IAsyncDisposable
{
    Stream Reader { get; }

    Stream Writer { get; }

    /// <summary>What the other side said on the way down (sendmail's stderr), for error messages.</summary>
    string Diagnostics { get; }

    /// <summary>Gives a dying peer a moment to finish saying why (sendmail's stderr), then returns <see cref="Diagnostics"/>.</summary>
    Task<string> CollectDiagnosticsAsync();

    /// <summary>Ends the dialogue at once: nothing written so far can be queued.</summary>
    void Abort();
}
