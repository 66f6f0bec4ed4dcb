using System.Reflection;
using System.Runtime.InteropServices;

namespace Mailseal.Greyd;

/// <summary>
/// Where SQLite comes from: the system library, Debian's libsqlite3-0. SQLitePCLRaw's provider
/// imports "sqlite3", which .NET would look for as libsqlite3.so, a name only the -dev package
/// installs; this resolver loads the run-time name libsqlite3.so.0 instead. A NativeAOT build
/// links the library directly (DirectPInvoke in the project file) and never asks the resolver.
/// </summary>
internal static class SqliteLibrary
{
    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>Registers the resolver once per process; call before the first SQLite connection.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            _registered = true;
            NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_sqlite3).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!string.Equals(name, "sqlite3", StringComparison.Ordinal))
            return IntPtr.Zero;
        foreach (var candidate in new[] { "libsqlite3.so.0", "libsqlite3.so" })
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        }

        return IntPtr.Zero;
    }
}
