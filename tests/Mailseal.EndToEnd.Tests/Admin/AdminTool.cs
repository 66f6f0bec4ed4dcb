using Mailseal.EndToEnd.Tests.Harness;
using Npgsql;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>Runs the published mailseal-admin against the stack's PostgreSQL, as an admin's shell would.</summary>
internal sealed class AdminTool
{
    private readonly string _program;
    private readonly string _config;

    private AdminTool(string program, string config, string database)
    {
        _program = program;
        _config = config;
        Database = database;
    }

    public string Database { get; }

    public static async Task<AdminTool> CreateAsync(MailStack stack, string? database = null)
    {
        var dir = await stack.ToolsDirectoryAsync();
        // An empty configuration file: the machine's /etc/mailseal/mailseal.conf must not leak in.
        var config = Path.Combine(stack.TempDirectory, "admin-empty.conf");
        if (!File.Exists(config))
            await File.WriteAllTextAsync(config, string.Empty);
        return new AdminTool(Path.Combine(dir, "mailseal-admin"), config, database ?? stack.DatabaseConnectionString);
    }

    public Task<ProcessResult> RunAsync(IEnumerable<string> args, string? stdin = null, string? database = null) =>
        ProcessRunner.RunAsync(_program, ["--config", _config, "--database", database ?? Database, .. args], stdin, TimeSpan.FromSeconds(120));

    public async Task<ProcessResult> RunCheckedAsync(IEnumerable<string> args, string? stdin = null)
    {
        var r = await RunAsync(args, stdin);
        Assert.True(r.ExitCode == 0, $"mailseal-admin {string.Join(' ', args)} exited {r.ExitCode}: {r.Output}");
        return r;
    }

    /// <summary>A database of its own for a test, dropped afterwards (its name is a GUID, never input).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "The only SQL built here names a generated database.")]
    public sealed class Scratch : IAsyncDisposable
    {
        private readonly MailStack _stack;

        private Scratch(MailStack stack, string name)
        {
            _stack = stack;
            Name = name;
            ConnectionString = new NpgsqlConnectionStringBuilder(stack.DatabaseConnectionString) { Database = name }.ConnectionString;
        }

        public string Name { get; }

        public string ConnectionString { get; }

        public static async Task<Scratch> CreateAsync(MailStack stack)
        {
            var name = "admin_" + Guid.NewGuid().ToString("N")[..12];
            await using var db = await stack.OpenDatabaseAsync();
            await using var cmd = new NpgsqlCommand("CREATE DATABASE " + name, db);
            await cmd.ExecuteNonQueryAsync();
            return new Scratch(stack, name);
        }

        public async Task<NpgsqlConnection> OpenAsync()
        {
            var c = new NpgsqlConnection(ConnectionString);
            await c.OpenAsync();
            return c;
        }

        public async ValueTask DisposeAsync()
        {
            await using var db = await _stack.OpenDatabaseAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE {Name} WITH (FORCE)", db);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
