namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// The pipeline tests that run gpg, rnp and sqop and encrypt thousands of messages run on their
/// own, after the parallel tests: they keep two cores busy, and tests elsewhere that measure
/// process-wide allocation (GC.GetTotalAllocatedBytes) must not count their garbage.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PipelineCollection
{
    public const string Name = "message pipeline with real oracles";
}
