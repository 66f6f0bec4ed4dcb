namespace Mailseal.Core.Tests.Keys;

/// <summary>A clock that says what the test wants; the test keys were made on 2026-11-22.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    /// <summary>After the test keys were made, before bob's expires (2026-11-23 03:05 UTC).</summary>
    public static FixedClock KeysValid { get; } = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    /// <summary>After bob's key expired.</summary>
    public static FixedClock BobExpired { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => now;
}
