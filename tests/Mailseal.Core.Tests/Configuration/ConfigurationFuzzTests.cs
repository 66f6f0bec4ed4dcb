using System.Text;
using Mailseal.Core.Configuration;

namespace Mailseal.Core.Tests.Configuration;

public sealed class ConfigurationFuzzTests
{
    private const string Seed = "key_dir = /k\n# c\nlocal_domains = a.org b.org\n[encrypt]\nmissing_key = pass\n[spfd]\nhelo = yes\n";

    [Fact]
    public void Mutated_files_parse_or_fail_with_one_line_naming_the_file()
    {
        var random = new Random(20261122);
        string alphabet = "=[]#\n\r\t ._-/+@,abcdekyz019\u00e9\u0000\u0001";
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < 3000; i++)
        {
            var text = new StringBuilder(Seed);
            int edits = random.Next(1, 6);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(text.Length + 1);
                switch (random.Next(3))
                {
                    case 0:
                        text.Insert(at, alphabet[random.Next(alphabet.Length)]);
                        break;
                    case 1 when at < text.Length:
                        text.Remove(at, 1);
                        break;
                    default:
                        text.Insert(at, new string('x', random.Next(0, 5000)));
                        break;
                }
            }

            try
            {
                ConfigurationFile file = ConfigurationFile.Parse(text.ToString(), "/fuzz.conf");
                _ = file.ForTool("encrypt", ["missing_key"]);
                parsed++;
            }
            catch (ConfigurationException ex)
            {
                Assert.StartsWith("/fuzz.conf", ex.Message, StringComparison.Ordinal);
                Assert.DoesNotContain('\n', ex.Message);
                Assert.DoesNotContain('\0', ex.Message);
                rejected++;
            }
        }

        Assert.True(parsed > 100, $"only {parsed} mutations parsed");
        Assert.True(rejected > 100, $"only {rejected} mutations rejected");
    }
}
