namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>
/// Tests that measure allocations across threads or throughput run alone, after the parallel
/// tests, so other tests' allocations and CPU use do not count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Encryption measurements";
}
