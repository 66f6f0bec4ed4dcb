namespace Mailseal.Greyd;

/// <summary>A stored triplet: first and last sighting, Unix seconds (postgrey's <c>first,last</c> value).</summary>
internal readonly record struct TripletRecord(long FirstSeen, long LastSeen);
