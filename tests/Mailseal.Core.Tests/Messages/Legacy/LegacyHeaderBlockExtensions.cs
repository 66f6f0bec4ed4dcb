using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>
/// The hand-written classification path as it was before MimeKit (issue #11), kept in the tests
/// only as the reference the side-by-side test (MimeKitPathTests) compares the MimeKit path
/// with. Not product code: delete this folder with that test once the comparison has served.
/// </summary>
internal static class LegacyHeaderBlockExtensions
{
    /// <summary>What HeaderBlock.GetContentType was: the first Content-Type field by the hand-written parser.</summary>
    public static LegacyContentType? LegacyGetContentType(this HeaderBlock block, MimeLimits? limits = null)
    {
        var h = block.Find("Content-Type");
        return h is not null && LegacyContentType.TryParse(h.Value, out var ct, limits) ? ct : null;
    }
}
