using Mailseal.Admin.Accounts;

namespace Mailseal.Admin.Keys;

/// <summary>
/// Writes <c>key_dir/ADDRESS.asc</c>, the file mailseal-encrypt looks the address up in. The
/// address is normalised by <see cref="AccountAddress"/> first, so the name has no <c>/</c> of
/// its own and cannot leave the folder; the file is written to a temporary name in the same
/// folder, mode 0640, flushed, then renamed over the old one, so a reader sees the old key or
/// the new one, never half of one.
/// </summary>
internal static class KeyFolderWriter
{
    public static string PathFor(string keyDir, string address)
    {
        string normalized = AccountAddress.Parse(address);
        if (normalized.Contains('/', StringComparison.Ordinal) || normalized.StartsWith('.'))
            throw new FormatException($"'{address}' cannot be a key file name (it contains '/' or starts with '.')");
        return Path.Join(keyDir, normalized + ".asc");
    }

    public static void Write(string keyDir, string address, string armored)
    {
        string path = PathFor(keyDir, address);
        if (!Directory.Exists(keyDir))
            throw new DirectoryNotFoundException($"the key folder {keyDir} does not exist");
        string temporary = Path.Join(keyDir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
            };
            // Synchronous on purpose: Flush(true) is the fsync that makes the rename safe.
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(armored));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
