namespace Mailseal.Greyd;

/// <summary>A client of the automatic whitelist: counted deliveries and last counted time, Unix seconds (postgrey's <c>count,last</c>).</summary>
internal readonly record struct ClientRecord(long Count, long LastSeen);
