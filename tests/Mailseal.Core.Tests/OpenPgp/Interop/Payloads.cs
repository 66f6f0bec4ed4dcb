using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>The matrix's random payloads, generated once per run and shared by every key.</summary>
public static class Payloads
{
    private static readonly ConcurrentDictionary<int, Lazy<(byte[] Data, string Sha256)>> Cache = new();

    /// <summary>0 B, 1 B, 10 KB, 1 MB and 20 MB.</summary>
    public static readonly int[] Sizes = [0, 1, 10 * 1024, 1024 * 1024, 20 * 1024 * 1024];

    /// <summary>Random bytes of <paramref name="size"/> (the same array for every caller in this run).</summary>
    public static byte[] Get(int size) => Entry(size).Data;

    /// <summary>SHA-256 of <see cref="Get"/>(<paramref name="size"/>), upper-case hex.</summary>
    public static string Sha256Of(int size) => Entry(size).Sha256;

    private static (byte[] Data, string Sha256) Entry(int size) =>
        Cache.GetOrAdd(size, s => new Lazy<(byte[], string)>(() =>
        {
            byte[] data = RandomNumberGenerator.GetBytes(s);
            return (data, HashingSink.HashOf(data));
        })).Value;
}
