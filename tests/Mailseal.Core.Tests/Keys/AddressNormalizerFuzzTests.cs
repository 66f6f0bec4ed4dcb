using System.Text;
using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

public sealed class AddressNormalizerFuzzTests
{
    [Fact]
    public void No_input_yields_a_name_that_can_leave_the_key_folder()
    {
        var random = new Random(4);
        var normalizer = new AddressNormalizer("+-");
        string alphabet = "ab.@+-/\\\0\n <>'\"%*?~\u00e9\u202e";
        string folder = Path.Combine(Path.GetTempPath(), "keys");
        int accepted = 0;
        for (int i = 0; i < 20000; i++)
        {
            // A local part from a hostile alphabet, usually an '@', and a mostly plausible domain.
            var sb = new StringBuilder();
            int length = random.Next(0, 16);
            for (int j = 0; j < length; j++)
            {
                sb.Append(alphabet[random.Next(alphabet.Length)]);
            }

            if (random.Next(10) > 0)
            {
                sb.Append('@');
            }

            int domainLength = random.Next(0, 12);
            for (int j = 0; j < domainLength; j++)
            {
                sb.Append(random.Next(8) == 0 ? alphabet[random.Next(alphabet.Length)] : "ab.-"[random.Next(4)]);
            }

            if (!normalizer.TryNormalize(sb.ToString(), out NormalizedAddress? result, out string? error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                continue;
            }

            accepted++;
            foreach (string candidate in result.Candidates)
            {
                string path = Path.GetFullPath(Path.Join(folder, candidate + ".asc"));
                Assert.Equal(folder, Path.GetDirectoryName(path));
                Assert.Equal(candidate, candidate.ToLowerInvariant());
                Assert.DoesNotContain("..", candidate, StringComparison.Ordinal);
                Assert.False(candidate.Any(char.IsControl), candidate);
            }
        }

        Assert.True(accepted > 100, $"only {accepted} accepted");
    }
}
