namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// The one serial collection of real-server tests: put <c>[Collection(MailStackCollection.Name)]</c>
/// on a test class and take a <see cref="MailStack"/> in its constructor.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MailStackCollection : ICollectionFixture<MailStack>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Mail stack";
}
