namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// The interop tests form one collection that xunit runs alone, after the parallel collections:
/// they start dozens of oracle processes and allocate 20 MB payloads, which would otherwise skew
/// other tests that measure time or process-wide allocation (GC.GetTotalAllocatedBytes) while
/// they run. Each class keeps its own key fixture.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InteropCollection
{
    /// <summary>The collection's name, for <c>[Collection(InteropCollection.Name)]</c>.</summary>
    public const string Name = "OpenPGP interop oracles";
}
