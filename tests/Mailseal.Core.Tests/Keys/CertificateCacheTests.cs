using Mailseal.Core.Keys;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.Keys;

public sealed class CertificateCacheTests
{
    [Fact]
    public void Parses_on_a_new_version_only_and_caches_failures()
    {
        var cache = new CertificateCache();
        int loads = 0;
        IReadOnlyList<Certificate> Load()
        {
            loads++;
            return CertificateReader.Read(TestKeys.Read("alice.asc")).Certificates;
        }

        CachedCertificates first = cache.GetOrParse("k", "v1", Load);
        CachedCertificates again = cache.GetOrParse("k", "v1", Load);
        Assert.Same(first, again);
        cache.GetOrParse("k", "v2", Load);
        Assert.Equal(2, loads);

        CachedCertificates broken = cache.GetOrParse("bad", "1", () => throw new OpenPgpFormatException("garbage"));
        Assert.Equal("garbage", broken.Error);
        Assert.Empty(broken.Certificates);
        Assert.Same(broken, cache.GetOrParse("bad", "1", () => throw new InvalidOperationException("must not be called")));
        Assert.Equal(3, cache.ParseCount);
        Assert.Equal(2, cache.HitCount);
    }

    [Fact]
    public void Stays_bounded()
    {
        var cache = new CertificateCache(maxEntries: 10);
        for (int i = 0; i < 1000; i++)
        {
            cache.GetOrParse("k" + i, "1", () => []);
        }

        Assert.InRange(cache.Count, 1, 10);
    }
}
