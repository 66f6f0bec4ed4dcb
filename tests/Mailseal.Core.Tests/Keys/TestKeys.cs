namespace Mailseal.Core.Tests.Keys;

/// <summary>The certificates under TestData/keys, made with gpg 2.2 (see TestData/keys/README).</summary>
internal static class TestKeys
{
    public const string AliceFingerprint = "B50F12D44040D017A29ED3C5F800E26A69B95D8D";
    public const string AliceEncryptionSubkey = "2CC6C9EBF7BF9153451A772F3C76C61CBB662116";
    public const string BobFingerprint = "78C5500559FF6BB0DE5E4879FEF37FEE824BA2D2";
    public const string SignerFingerprint = "94B9291EC4B46D4F97493C2919F80589CC9C29A9";

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "keys", name);

    public static byte[] Read(string name) => File.ReadAllBytes(PathOf(name));
}
