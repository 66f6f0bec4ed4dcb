using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mailseal.Admin.Accounts;
using Mailseal.Admin.Keys;
using Mailseal.Admin.Output;
using Mailseal.Admin.Passwords;
using Mailseal.Core;
using Mailseal.Core.Accounts;
using Mailseal.Core.Cli;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Admin;

/// <summary>
/// The command tree of mailseal-admin: one definition per option (each also a name in the
/// <c>[admin]</c> section of mailseal.conf), one place that wires the actions. Every action
/// validates its input before it touches a store, and reports a refusal as one line.
/// </summary>
internal sealed partial class AdminCommand
{
    private readonly ToolContext _context;
    private readonly bool _terminal;
    private readonly bool _errorTerminal;
    private readonly TimeProvider _time;

    private readonly Option<string> _database = SharedOptions.Database();
    private readonly Option<string> _keyDir = SharedOptions.KeyDir();
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON for scripts instead of a table.", Recursive = true };
    private readonly Option<string> _scheme = new("--password-scheme")
    {
        Description = "Password hash scheme: ARGON2ID (default), SHA512-CRYPT or BLF-CRYPT; all verified by Dovecot.",
        HelpName = "SCHEME",
        DefaultValueFactory = _ => "ARGON2ID",
    };

    private readonly Option<int> _sha512Rounds = new("--sha512-rounds") { Description = "SHA512-CRYPT rounds (1000-999999999).", HelpName = "N", DefaultValueFactory = _ => PasswordHashOptions.Default.Sha512Rounds };
    private readonly Option<int> _bcryptCost = new("--bcrypt-cost") { Description = "BLF-CRYPT cost (4-31).", HelpName = "N", DefaultValueFactory = _ => PasswordHashOptions.Default.BcryptCost };
    private readonly Option<int> _argon2Memory = new("--argon2-memory") { Description = "ARGON2ID memory in KiB (8192-4194304).", HelpName = "KIB", DefaultValueFactory = _ => PasswordHashOptions.Default.Argon2MemoryKib };
    private readonly Option<int> _argon2Iterations = new("--argon2-iterations") { Description = "ARGON2ID passes (1-100).", HelpName = "N", DefaultValueFactory = _ => PasswordHashOptions.Default.Argon2Iterations };
    private readonly Option<bool> _allowOtherAddress = new("--allow-other-address") { Description = "Accept a key none of whose user ids names the address." };
    private readonly Option<string> _store = new("--store")
    {
        Description = "Key store: database (the users table), folder (key_dir/ADDRESS.asc), or auto: the database when one is configured, else the folder.",
        HelpName = "STORE",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<bool> _progress = new("--progress") { Description = "Report progress on stderr even when it is not a terminal (one line per 5%)." };
    private readonly Option<int> _days = new("--days") { Description = "List keys that stop being usable within this many days.", HelpName = "N", DefaultValueFactory = _ => 30 };

    public AdminCommand(ToolContext context, bool terminal, TimeProvider? time = null, bool errorTerminal = false)
    {
        _context = context;
        _terminal = terminal;
        _errorTerminal = errorTerminal;
        _time = time ?? TimeProvider.System;
        _store.AcceptOnlyFromAmong("auto", "database", "folder");
        _days.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 36500)
                r.AddError("--days must be 0 to 36500");
        });
    }

    public RootCommand Create()
    {
        var root = new RootCommand("accounts, aliases and keys of a Mailseal server in PostgreSQL and the key folder.");
        _database.Recursive = true;
        _keyDir.Recursive = true;
        root.Options.Add(_database);
        root.Options.Add(_keyDir);
        root.Options.Add(_json);

        var db = new Command("db", "Create or upgrade the accounts schema.");
        var init = new Command("init", "Create the schema in an empty database (users, aliases, password_rehash, version table).");
        init.SetAction((p, ct) => DbInitAsync(p, ct));
        var migrate = new Command("migrate", "Upgrade an existing database (the tutorial's, or an older Mailseal schema) keeping every row.");
        migrate.SetAction((p, ct) => DbMigrateAsync(p, ct));
        var status = new Command("status", "Print the schema version of the database.");
        status.SetAction((p, ct) => DbStatusAsync(p, ct));
        db.Subcommands.Add(init);
        db.Subcommands.Add(migrate);
        db.Subcommands.Add(status);
        root.Subcommands.Add(db);

        root.Subcommands.Add(CreateUser());
        root.Subcommands.Add(CreateAlias());
        root.Subcommands.Add(CreateKey());
        root.Subcommands.Add(CreateWkd());
        root.Subcommands.Add(CreateDns());
        root.Subcommands.Add(CreateDoctor());
        return root;
    }

    private Command CreateUser()
    {
        var user = new Command("user", "Mail accounts (users table): the login Dovecot checks and the key mail to it is encrypted to.");
        var address = new Argument<string>("address") { Description = "The account's address, also its login." };
        var keyFile = new Option<string>("--key") { Description = "The account's OpenPGP public key (armored or binary); required.", HelpName = "FILE", Required = true };

        var add = new Command("add", "Create an account. The password is read from the terminal (twice, no echo) or from the first line of stdin; never from the command line.")
        {
            address, keyFile, _allowOtherAddress, _scheme, _sha512Rounds, _bcryptCost, _argon2Memory, _argon2Iterations,
        };
        add.SetAction((p, ct) => UserAddAsync(p, p.GetValue(address)!, p.GetValue(keyFile)!, ct));

        var list = new Command("list", "List the accounts.");
        list.SetAction((p, ct) => UserListAsync(p, ct));

        var showAddress = new Argument<string>("address") { Description = "The account's address." };
        var show = new Command("show", "Show one account: maildir, password scheme, aliases, key.") { showAddress };
        show.SetAction((p, ct) => UserShowAsync(p, p.GetValue(showAddress)!, ct));

        var removeAddress = new Argument<string>("address") { Description = "The account's address." };
        var remove = new Command("remove", "Remove an account and its aliases (the maildir on disk is left for the admin to archive or delete).") { removeAddress };
        remove.SetAction((p, ct) => UserRemoveAsync(p, p.GetValue(removeAddress)!, ct));

        var passwdAddress = new Argument<string>("address") { Description = "The account's address." };
        var passwd = new Command("passwd", "Set an account's password (read as for add); clears its rehash flag.")
        {
            passwdAddress, _scheme, _sha512Rounds, _bcryptCost, _argon2Memory, _argon2Iterations,
        };
        passwd.SetAction((p, ct) => UserPasswdAsync(p, p.GetValue(passwdAddress)!, ct));

        user.Subcommands.Add(add);
        user.Subcommands.Add(list);
        user.Subcommands.Add(show);
        user.Subcommands.Add(remove);
        user.Subcommands.Add(passwd);
        return user;
    }

    private Command CreateAlias()
    {
        var alias = new Command("alias", "Addresses that deliver to an account (aliases table).");
        var name = new Argument<string>("alias") { Description = "The alias address (a full address)." };
        var target = new Argument<string>("account") { Description = "The account it delivers to." };
        var add = new Command("add", "Add an alias of an account.") { name, target };
        add.SetAction((p, ct) => AliasAddAsync(p.GetValue(name)!, p.GetValue(target)!, p, ct));

        var account = new Argument<string>("account") { Description = "Only this account's aliases.", Arity = ArgumentArity.ZeroOrOne };
        var list = new Command("list", "List aliases.") { account };
        list.SetAction((p, ct) => AliasListAsync(p, p.GetValue(account), ct));

        var removeName = new Argument<string>("alias") { Description = "The alias address." };
        var remove = new Command("remove", "Remove an alias.") { removeName };
        remove.SetAction((p, ct) => AliasRemoveAsync(p, p.GetValue(removeName)!, ct));
        alias.Subcommands.Add(add);
        alias.Subcommands.Add(list);
        alias.Subcommands.Add(remove);
        return alias;
    }

    private Command CreateKey()
    {
        var key = new Command("key", "Recipient keys, in the database (users.pgpkey) or the key folder (key_dir/ADDRESS.asc).");
        var address = new Argument<string>("address") { Description = "The address the key is for; or, alone, a folder of ADDRESS.asc files (ADDRESS.gpg, ADDRESS.pgp) to import in bulk." };
        var file = new Argument<string>("file") { Description = "The OpenPGP public key (armored or binary).", Arity = ArgumentArity.ZeroOrOne };
        var import = new Command("import", "Store a key for an address, after the checks mailseal-encrypt applies: usable encryption subkey, not expired or revoked, a user id naming the address. Given a folder, imports every ADDRESS.asc in it with the same checks, one result line per file (imported, unchanged, refused and why), a summary, progress on stderr (on a terminal, or with --progress); a refused key does not stop the others; exit 65 when any was refused.")
        {
            address, file, _allowOtherAddress, _store, _progress,
        };
        import.SetAction((p, ct) => p.GetValue(file) is { } f
            ? KeyImportAsync(p, p.GetValue(address)!, f, rotate: false, ct)
            : KeyImportFolderAsync(p, p.GetValue(address)!, ct));

        var rotateAddress = new Argument<string>("address") { Description = "The address whose key is replaced." };
        var rotateFile = new Argument<string>("file") { Description = "The new key." };
        var rotate = new Command("rotate", "Replace an address's key with a new one (same checks as import); prints the old and new fingerprints.")
        {
            rotateAddress, rotateFile, _allowOtherAddress, _store,
        };
        rotate.SetAction((p, ct) => KeyImportAsync(p, p.GetValue(rotateAddress)!, p.GetValue(rotateFile)!, rotate: true, ct));

        var showAddress = new Argument<string>("address") { Description = "The address." };
        var show = new Command("show", "Print the stored key's fingerprint, algorithms, expiry, user ids and whether mail can be encrypted to it.") { showAddress, _store };
        show.SetAction((p, ct) => KeyShowAsync(p, p.GetValue(showAddress)!, ct));

        var expiring = new Command("expiring", "List keys that are unusable or stop being usable within --days (for cron: exit 1 when any is listed).") { _days, _store };
        expiring.SetAction((p, ct) => KeyExpiringAsync(p, ct));
        key.Subcommands.Add(import);
        key.Subcommands.Add(rotate);
        key.Subcommands.Add(show);
        key.Subcommands.Add(expiring);
        return key;
    }

    private Command CreateWkd()
    {
        var wkd = new Command("wkd", "Web Key Directory (draft-koch-openpgp-webkey-service): lets senders elsewhere find each account's key by address.");
        var dir = new Argument<string>("dir") { Description = "Output folder: DIR/advanced is the web root of openpgpkey.DOMAIN, DIR/direct/DOMAIN that of DOMAIN." };
        var export = new Command("export", "Write every account's key (usable, naming the address, only that user id) in the advanced and the direct layout, with the policy files.") { dir, _store };
        export.SetAction((p, ct) => WkdExportAsync(p, p.GetValue(dir)!, ct));
        wkd.Subcommands.Add(export);
        return wkd;
    }

    // ------------------------------------------------------------------ db

    private async Task<int> DbInitAsync(ParseResult p, CancellationToken ct)
    {
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        int version = await Guard(() => AccountSchema.ReadVersionAsync(connection, ct)).ConfigureAwait(false);
        if (version > 0 && !await Guard(() => HasVersionTableAsync(connection, ct)).ConfigureAwait(false))
            throw AccountStore.Refused("the database already has a users table without Mailseal's version table (the tutorial's schema?): run mailseal-admin db migrate to upgrade it keeping every row");
        IReadOnlyList<int> applied = await Guard(() => AccountSchema.MigrateAsync(connection, ct)).ConfigureAwait(false);
        await _context.Out.WriteLineAsync(applied.Count == 0
            ? $"schema is current (version {AccountSchema.CurrentVersion})"
            : $"schema created (version {AccountSchema.CurrentVersion})").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> DbMigrateAsync(ParseResult p, CancellationToken ct)
    {
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        int before = await Guard(() => AccountSchema.ReadVersionAsync(connection, ct)).ConfigureAwait(false);
        IReadOnlyList<int> applied = await Guard(() => AccountSchema.MigrateAsync(connection, ct)).ConfigureAwait(false);
        long rehash = await Guard(() => CountRehashAsync(connection, ct)).ConfigureAwait(false);
        if (applied.Count == 0)
            await _context.Out.WriteLineAsync($"schema is current (version {AccountSchema.CurrentVersion})").ConfigureAwait(false);
        else
            await _context.Out.WriteLineAsync($"schema migrated from version {before} to {AccountSchema.CurrentVersion} (applied {string.Join(", ", applied)})").ConfigureAwait(false);
        if (rehash > 0)
            await _context.Out.WriteLineAsync($"{rehash} account(s) hold an unsalted or plain password hash: it still works and is replaced at the next mailseal-admin user passwd (see user list)").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> DbStatusAsync(ParseResult p, CancellationToken ct)
    {
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        int version = await Guard(() => AccountSchema.ReadVersionAsync(connection, ct)).ConfigureAwait(false);
        bool versioned = await Guard(() => HasVersionTableAsync(connection, ct)).ConfigureAwait(false);
        string state = version == 0 ? "empty: run db init"
            : !versioned ? "unversioned (tutorial schema?): run db migrate"
            : version < AccountSchema.CurrentVersion ? "old: run db migrate" : "current";
        await _context.Out.WriteLineAsync($"schema version {(versioned ? version : 0)} of {AccountSchema.CurrentVersion}: {state}").ConfigureAwait(false);
        return version == AccountSchema.CurrentVersion && versioned ? ExitCodes.Ok : 1;
    }

    private static async Task<bool> HasVersionTableAsync(Npgsql.NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new Npgsql.NpgsqlCommand($"SELECT to_regclass('{AccountSchema.VersionTable}') IS NOT NULL", connection);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    private static async Task<long> CountRehashAsync(Npgsql.NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM password_rehash", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    // ------------------------------------------------------------------ user

    private async Task<int> UserAddAsync(ParseResult p, string rawAddress, string keyFile, CancellationToken ct)
    {
        string email = ParseAddress(rawAddress);
        // The address is also the IMAP/SMTP login, and Dovecot's default auth_username_chars
        // (letters, digits, ".-_@") refuses any other character before it asks the database:
        // such an account could never log in. It can still be an alias.
        foreach (char c in email)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
                throw AccountStore.Refused($"'{c}' in {email} is not in Dovecot's default auth_username_chars, so the account could not log in; make it an alias of an account instead");
        }

        (PasswordScheme scheme, PasswordHashOptions hashOptions) = HashSettings(p);
        Certificate certificate = AcceptKey(await ReadKeyFileAsync(keyFile, ct).ConfigureAwait(false), email, p.GetValue(_allowOtherAddress));
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        string hash = await NewPasswordHashAsync(scheme, hashOptions, ct).ConfigureAwait(false);
        string maildir = MaildirPath.For(email);
        await store.AddUserAsync(email, ArmorWriter.PublicKeyBlock(certificate.Encoded.Span), certificate.FingerprintHex, hash, maildir, ct).ConfigureAwait(false);
        await _context.Out.WriteLineAsync($"account {email} created: maildir {maildir}, password {PasswordHasher.DovecotName(scheme)}, key {certificate.FingerprintHex}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> UserPasswdAsync(ParseResult p, string rawAddress, CancellationToken ct)
    {
        string email = ParseAddress(rawAddress);
        (PasswordScheme scheme, PasswordHashOptions hashOptions) = HashSettings(p);
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        if (await store.GetUserAsync(email, ct).ConfigureAwait(false) is null)
            throw AccountStore.Refused($"there is no account {email}");
        string hash = await NewPasswordHashAsync(scheme, hashOptions, ct).ConfigureAwait(false);
        if (!await store.SetPasswordAsync(email, hash, ct).ConfigureAwait(false))
            throw AccountStore.Refused($"there is no account {email}");
        await _context.Out.WriteLineAsync($"password of {email} set ({PasswordHasher.DovecotName(scheme)})").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> UserListAsync(ParseResult p, CancellationToken ct)
    {
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        IReadOnlyList<UserRecord> users = await store.ListUsersAsync(ct).ConfigureAwait(false);
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteAsync(_context.Out, w =>
            {
                w.WriteStartArray();
                foreach (UserRecord u in users)
                    WriteUser(w, u);
                w.WriteEndArray();
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TextTable("ADDRESS", "PASSWORD", "KEY", "ALIASES", "MAILDIR");
        foreach (UserRecord u in users)
            table.Add(u.Email, u.PasswordScheme + (u.NeedsRehash ? " (rehash)" : string.Empty), u.KeyFingerprint, u.Aliases.Count.ToString(CultureInfo.InvariantCulture), u.Maildir);
        await _context.Out.WriteAsync(table.Render()).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> UserShowAsync(ParseResult p, string rawAddress, CancellationToken ct)
    {
        string email = ParseAddress(rawAddress);
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        UserRecord user = await store.GetUserAsync(email, ct).ConfigureAwait(false) ?? throw AccountStore.Refused($"there is no account {email}");
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteAsync(_context.Out, w => WriteUser(w, user), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TextTable("FIELD", "VALUE");
        table.Add("address", user.Email);
        table.Add("maildir", user.Maildir);
        table.Add("created", user.Created.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        table.Add("password", user.PasswordScheme + (user.NeedsRehash ? " (unsalted or plain: set a new one with user passwd)" : string.Empty));
        table.Add("key", user.KeyFingerprint);
        table.Add("aliases", user.Aliases.Count == 0 ? "-" : string.Join(", ", user.Aliases));
        await _context.Out.WriteAsync(table.Render()).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> UserRemoveAsync(ParseResult p, string rawAddress, CancellationToken ct)
    {
        string email = ParseAddress(rawAddress);
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        IReadOnlyList<string> aliases = await store.RemoveUserAsync(email, ct).ConfigureAwait(false) ?? throw AccountStore.Refused($"there is no account {email}");
        await _context.Out.WriteLineAsync($"account {email} removed" + (aliases.Count == 0 ? string.Empty : $", with its aliases {string.Join(", ", aliases)}") + "; its maildir is left on disk").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static void WriteUser(Utf8JsonWriter w, UserRecord u)
    {
        w.WriteStartObject();
        w.WriteString("address", u.Email);
        w.WriteString("maildir", u.Maildir);
        w.WriteString("created", u.Created);
        w.WriteString("password_scheme", u.PasswordScheme);
        w.WriteBoolean("needs_rehash", u.NeedsRehash);
        w.WriteString("key_fingerprint", u.KeyFingerprint);
        w.WriteStartArray("aliases");
        foreach (string a in u.Aliases)
            w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // ------------------------------------------------------------------ alias

    private async Task<int> AliasAddAsync(string rawAlias, string rawTarget, ParseResult p, CancellationToken ct)
    {
        string alias = ParseAddress(rawAlias);
        string target = ParseAddress(rawTarget);
        if (string.Equals(alias, target, StringComparison.Ordinal))
            throw AccountStore.Refused("an alias cannot point at itself");
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        await store.AddAliasAsync(alias, target, ct).ConfigureAwait(false);
        await _context.Out.WriteLineAsync($"alias {alias} -> {target} added").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> AliasListAsync(ParseResult p, string? rawAccount, CancellationToken ct)
    {
        string? account = rawAccount is null ? null : ParseAddress(rawAccount);
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        IReadOnlyList<AliasRecord> aliases = await store.ListAliasesAsync(account, ct).ConfigureAwait(false);
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteObjectsAsync(_context.Out, aliases, (w, a) =>
            {
                w.WriteString("alias", a.Alias);
                w.WriteString("account", a.Email);
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TextTable("ALIAS", "ACCOUNT");
        foreach (AliasRecord a in aliases)
            table.Add(a.Alias, a.Email);
        await _context.Out.WriteAsync(table.Render()).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> AliasRemoveAsync(ParseResult p, string rawAlias, CancellationToken ct)
    {
        string alias = ParseAddress(rawAlias);
        await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
        if (!await store.RemoveAliasAsync(alias, ct).ConfigureAwait(false))
            throw AccountStore.Refused($"there is no alias {alias}");
        await _context.Out.WriteLineAsync($"alias {alias} removed").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    // ------------------------------------------------------------------ key

    private bool UseDatabase(ParseResult p) => p.GetValue(_store) switch
    {
        "database" => true,
        "folder" => false,
        _ => !string.IsNullOrWhiteSpace(p.GetValue(_database)),
    };

    private async Task<int> KeyImportAsync(ParseResult p, string rawAddress, string file, bool rotate, CancellationToken ct)
    {
        string email = ParseAddress(rawAddress);
        Certificate certificate = AcceptKey(await ReadKeyFileAsync(file, ct).ConfigureAwait(false), email, p.GetValue(_allowOtherAddress));
        string armored = ArmorWriter.PublicKeyBlock(certificate.Encoded.Span);
        string? old;
        string where;
        if (UseDatabase(p))
        {
            await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
            var existing = await store.GetKeyAsync(email, ct).ConfigureAwait(false)
                ?? throw AccountStore.Refused($"there is no account {email} (keys in the database belong to accounts: user add)");
            old = existing.Fingerprint ?? FirstFingerprint(existing.Key);
            await store.SetKeyAsync(email, armored, certificate.FingerprintHex, ct).ConfigureAwait(false);
            where = "database";
        }
        else
        {
            string keyDir = p.GetValue(_keyDir)!;
            string path = KeyFolderWriter.PathFor(keyDir, email);
            old = File.Exists(path) ? FirstFingerprint(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)) : null;
            KeyFolderWriter.Write(keyDir, email, armored);
            where = path;
        }

        if (rotate && old is null)
            await _context.Out.WriteLineAsync($"note: {email} had no key before").ConfigureAwait(false);
        await _context.Out.WriteLineAsync(rotate || old is not null
            ? $"key of {email} replaced in {where}: {old ?? "none"} -> {certificate.FingerprintHex}"
            : $"key {certificate.FingerprintHex} stored for {email} in {where}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> KeyShowAsync(ParseResult p, string rawAddress, CancellationToken ct)
    {
        string email = ParseAddress(rawAddress);
        (string text, string? pinned, string source) = await LoadKeyAsync(p, email, ct).ConfigureAwait(false);
        IReadOnlyList<Certificate> certificates = ReadStored(text, source);
        DateTimeOffset now = _time.GetUtcNow();
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteObjectsAsync(_context.Out, certificates, (w, c) =>
            {
                EncryptionKeySelection s = c.SelectEncryptionKey(now);
                w.WriteString("address", email);
                w.WriteString("source", source);
                w.WriteString("fingerprint", c.FingerprintHex);
                w.WriteBoolean("pinned", pinned is not null && string.Equals(pinned, c.FingerprintHex, StringComparison.OrdinalIgnoreCase));
                w.WriteString("algorithm", c.PrimaryKey.Algorithm.ToString());
                w.WriteString("created", c.PrimaryKey.Created);
                if (c.Expires is { } e)
                    w.WriteString("expires", e);
                else
                    w.WriteNull("expires");
                w.WriteBoolean("usable", s.IsUsable);
                if (s.Recipient is { } r)
                {
                    w.WriteString("encryption_key", r.Key.FingerprintHex);
                    w.WriteString("encryption_algorithm", r.Key.Algorithm.ToString());
                }

                if (KeyCheck.EncryptionExpiry(c, now) is { } until)
                    w.WriteString("usable_until", until);
                if (s.Reason is { } reason)
                    w.WriteString("problem", reason);
                w.WriteStartArray("user_ids");
                foreach (CertificateUserId u in c.UserIds)
                    w.WriteStringValue(u.Value);
                w.WriteEndArray();
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new TextTable("FIELD", "VALUE");
        foreach (Certificate c in certificates)
        {
            EncryptionKeySelection s = c.SelectEncryptionKey(now);
            table.Add("fingerprint", c.FingerprintHex + (pinned is not null && string.Equals(pinned, c.FingerprintHex, StringComparison.OrdinalIgnoreCase) ? " (key_fingerprint)" : string.Empty));
            table.Add("source", source);
            table.Add("primary", $"{c.PrimaryKey.Algorithm} v{c.PrimaryKey.Version}, created {Day(c.PrimaryKey.Created)}");
            table.Add("expires", c.Expires is { } e ? Day(e) : "never");
            table.Add("encryption", s.Recipient is { } r ? $"{r.Key.Algorithm} {r.Key.FingerprintHex}" : "none");
            table.Add("usable until", s.IsUsable ? (KeyCheck.EncryptionExpiry(c, now) is { } u ? Day(u) : "no expiry") : "-");
            table.Add("status", s.IsUsable ? "usable" : "UNUSABLE: " + s.Reason);
            foreach (CertificateUserId uid in c.UserIds)
                table.Add("user id", uid.Value + (uid.IsRevoked ? " (revoked)" : string.Empty));
        }

        await _context.Out.WriteAsync(table.Render()).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> KeyExpiringAsync(ParseResult p, CancellationToken ct)
    {
        List<(string Address, string Fingerprint, string When, string Problem)> found = await KeyProblemsAsync(p, ct).ConfigureAwait(false);
        if (p.GetValue(_json))
        {
            await JsonOutput.WriteObjectsAsync(_context.Out, found, (w, f) =>
            {
                w.WriteString("address", f.Address);
                w.WriteString("fingerprint", f.Fingerprint);
                w.WriteString("until", f.When);
                w.WriteString("problem", f.Problem);
            }, ct).ConfigureAwait(false);
        }
        else if (found.Count > 0)
        {
            var table = new TextTable("ADDRESS", "KEY", "UNTIL", "PROBLEM");
            foreach (var f in found)
                table.Add(f.Address, f.Fingerprint, f.When, f.Problem);
            await _context.Out.WriteAsync(table.Render()).ConfigureAwait(false);
        }

        return found.Count == 0 ? ExitCodes.Ok : 1;
    }

    /// <summary>Every stored key that is unusable now, or stops being usable within --days, with the reason.</summary>
    private async Task<List<(string Address, string Fingerprint, string When, string Problem)>> KeyProblemsAsync(ParseResult p, CancellationToken ct)
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset horizon = now.AddDays(p.GetValue(_days));
        var found = new List<(string Address, string Fingerprint, string When, string Problem)>();
        foreach ((string address, string text) in await AllKeysAsync(p, ct).ConfigureAwait(false))
        {
            IReadOnlyList<Certificate> certificates;
            try
            {
                certificates = CertificateReader.Read(System.Text.Encoding.UTF8.GetBytes(text)).Certificates;
            }
            catch (OpenPgpFormatException e)
            {
                found.Add((address, "-", "now", "unreadable: " + e.Message));
                continue;
            }

            var result = Mailseal.Core.Keys.KeyLookupResult.FromCertificates(address, certificates, now, null);
            if (!result.HasUsableKey)
            {
                found.Add((address, certificates.FirstOrDefault()?.FingerprintHex ?? "-", "now", result.Reason ?? "no usable key"));
                continue;
            }

            if (KeyCheck.EncryptionExpiry(result.Certificate!, now) is { } until && until <= horizon)
                found.Add((address, result.Certificate!.FingerprintHex, Day(until), "expires"));
        }

        return found;
    }

    private async Task<(string Text, string? Pinned, string Source)> LoadKeyAsync(ParseResult p, string email, CancellationToken ct)
    {
        if (UseDatabase(p))
        {
            await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
            var key = await store.GetKeyAsync(email, ct).ConfigureAwait(false) ?? throw AccountStore.Refused($"there is no account {email}");
            return (key.Key, key.Fingerprint, "database");
        }

        string path = KeyFolderWriter.PathFor(p.GetValue(_keyDir)!, email);
        if (!File.Exists(path))
            throw AccountStore.Refused($"no key file {path}");
        return (await ReadBoundedTextAsync(path, ct).ConfigureAwait(false), null, path);
    }

    private async Task<List<(string Address, string Text)>> AllKeysAsync(ParseResult p, CancellationToken ct)
    {
        var keys = new List<(string, string)>();
        if (UseDatabase(p))
        {
            await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
            foreach (UserRecord u in await store.ListUsersAsync(ct).ConfigureAwait(false))
            {
                if (await store.GetKeyAsync(u.Email, ct).ConfigureAwait(false) is { } k)
                    keys.Add((u.Email, k.Key));
            }

            return keys;
        }

        // The admin's listing may read the folder; the mail path never scans it.
        string dir = p.GetValue(_keyDir)!;
        foreach (string file in Directory.EnumerateFiles(dir, "*.asc").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith('.'))
                continue;
            keys.Add((name[..^4], await ReadBoundedTextAsync(file, ct).ConfigureAwait(false)));
        }

        return keys;
    }

    // ------------------------------------------------------------------ wkd

    private async Task<int> WkdExportAsync(ParseResult p, string dir, CancellationToken ct)
    {
        DateTimeOffset now = _time.GetUtcNow();
        int written = 0;
        int skipped = 0;
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string address, string text) in await AllKeysAsync(p, ct).ConfigureAwait(false))
        {
            if (!AccountAddress.TryParse(address, out string? email, out _))
            {
                skipped++;
                await _context.Error.WriteLineAsync($"{AdminProgram.ToolName}: skipped {TextTable.Safe(address)}: not an address").ConfigureAwait(false);
                continue;
            }

            Certificate certificate;
            try
            {
                certificate = KeyCheck.Accept(System.Text.Encoding.UTF8.GetBytes(text), email, now, allowOtherAddress: false);
            }
            catch (FormatException e)
            {
                skipped++;
                await _context.Error.WriteLineAsync($"{AdminProgram.ToolName}: skipped {email}: {TextTable.Safe(e.Message)}").ConfigureAwait(false);
                continue;
            }

            byte[] key = Wkd.CertificateMinimizer.ForAddress(certificate, email);
            string domain = email[(email.LastIndexOf('@') + 1)..];
            string hash = Wkd.WkdHash.Of(email);
            string advanced = Path.Join(dir, "advanced", ".well-known", "openpgpkey", domain);
            string direct = Path.Join(dir, "direct", domain, ".well-known", "openpgpkey");
            foreach (string root in new[] { advanced, direct })
            {
                Directory.CreateDirectory(Path.Join(root, "hu"));
                // An empty policy file announces the directory (the draft's "policy flags" are all optional).
                string policy = Path.Join(root, "policy");
                if (!File.Exists(policy))
                    await File.WriteAllBytesAsync(policy, [], ct).ConfigureAwait(false);
                string file = Path.Join(root, "hu", hash);
                // Written beside and renamed: the web server serves the old key or the new one, never half.
                string temporary = Path.Join(root, "hu", "." + hash + ".tmp");
                await File.WriteAllBytesAsync(temporary, key, ct).ConfigureAwait(false);
                File.Move(temporary, file, overwrite: true);
                current.Add(Path.GetFullPath(file));
            }

            written++;
        }

        int removed = RemoveStaleWkdFiles(dir, current);
        await _context.Out.WriteLineAsync($"wkd: {written} key(s) written to {TextTable.Safe(dir)}/advanced (openpgpkey.DOMAIN) and {TextTable.Safe(dir)}/direct/DOMAIN"
            + (skipped == 0 ? string.Empty : $"; {skipped} skipped")
            + (removed == 0 ? string.Empty : $"; {removed} stale file(s) removed")).ConfigureAwait(false);
        return skipped == 0 ? ExitCodes.Ok : 1;
    }

    /// <summary>
    /// Deletes the key files in the tree's own <c>hu/</c> folders that this export did not write:
    /// the keys of removed accounts, and of keys no longer usable (expired, revoked), which a
    /// sender must not find any more. Only files directly in a <c>hu/</c> folder of the two
    /// layouts are touched.
    /// </summary>
    private static int RemoveStaleWkdFiles(string dir, HashSet<string> current)
    {
        var folders = new List<string>();
        string advanced = Path.Join(dir, "advanced", ".well-known", "openpgpkey");
        if (Directory.Exists(advanced))
            folders.AddRange(Directory.EnumerateDirectories(advanced).Select(d => Path.Join(d, "hu")));
        string direct = Path.Join(dir, "direct");
        if (Directory.Exists(direct))
            folders.AddRange(Directory.EnumerateDirectories(direct).Select(d => Path.Join(d, ".well-known", "openpgpkey", "hu")));
        int removed = 0;
        foreach (string hu in folders.Where(Directory.Exists))
        {
            foreach (string file in Directory.EnumerateFiles(hu))
            {
                if (!current.Contains(Path.GetFullPath(file)))
                {
                    File.Delete(file);
                    removed++;
                }
            }
        }

        return removed;
    }

    // ------------------------------------------------------------------ helpers

    private static string ParseAddress(string raw)
    {
        if (!AccountAddress.TryParse(raw, out string? address, out string? error))
            throw AccountStore.Refused(TextTable.Safe(error));
        return address;
    }

    private (PasswordScheme, PasswordHashOptions) HashSettings(ParseResult p)
    {
        string name = p.GetValue(_scheme) ?? "ARGON2ID";
        if (!PasswordHasher.TryParseScheme(name, out PasswordScheme scheme))
            throw AccountStore.Refused($"unknown password scheme '{TextTable.Safe(name)}' (ARGON2ID, SHA512-CRYPT or BLF-CRYPT)");
        var options = new PasswordHashOptions
        {
            Sha512Rounds = p.GetValue(_sha512Rounds),
            BcryptCost = p.GetValue(_bcryptCost),
            Argon2MemoryKib = p.GetValue(_argon2Memory),
            Argon2Iterations = p.GetValue(_argon2Iterations),
        };
        if (options.Validate() is { } problem)
            throw AccountStore.Refused(problem);
        return (scheme, options);
    }

    private async Task<string> NewPasswordHashAsync(PasswordScheme scheme, PasswordHashOptions options, CancellationToken ct)
    {
        string password = await PasswordReader.ReadNewAsync(_context, _terminal, ct).ConfigureAwait(false);
        if (PasswordHasher.Check(password, scheme) is { } problem)
            throw AccountStore.Refused(problem);
        return PasswordHasher.Hash(password, scheme, options);
    }

    private Certificate AcceptKey(byte[] data, string email, bool allowOther)
    {
        try
        {
            return KeyCheck.Accept(data, email, _time.GetUtcNow(), allowOther);
        }
        catch (FormatException e)
        {
            throw AccountStore.Refused($"key refused for {email}: {TextTable.Safe(e.Message)}");
        }
    }

    private static Task<byte[]> ReadKeyFileAsync(string path, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (path == "-")
            throw AccountStore.Refused("give the key as a file (stdin carries the password)");
        if (!File.Exists(path))
            throw AccountStore.Refused($"no key file {TextTable.Safe(path)}");
        try
        {
            // Never blocks: a FIFO or a device given as the key is refused by its type.
            return ReadRegularFile(path, out byte[] data) is { } problem
                ? throw AccountStore.Refused($"key file {TextTable.Safe(path)}: {problem}")
                : Task.FromResult(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AccountStore.Refused($"key file {TextTable.Safe(path)} cannot be read: {TextTable.Safe(e.Message)}");
        }
    }

    private static Task<string> ReadBoundedTextAsync(string path, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Through the non-blocking opener: a FIFO in the key folder stops the listing with its
        // reason instead of hanging it (key expiring, doctor, wkd export, dns records all list).
        return ReadRegularFile(path, out byte[] data) is { } problem
            ? throw AccountStore.Refused($"key file {TextTable.Safe(path)}: {problem}")
            : Task.FromResult(System.Text.Encoding.UTF8.GetString(data).TrimStart('\uFEFF'));
    }

    private static IReadOnlyList<Certificate> ReadStored(string text, string source)
    {
        try
        {
            return CertificateReader.Read(System.Text.Encoding.UTF8.GetBytes(text)).Certificates;
        }
        catch (OpenPgpFormatException e)
        {
            throw AccountStore.Refused($"the key in {source} cannot be read: {e.Message}");
        }
    }

    private static string? FirstFingerprint(string text)
    {
        try
        {
            return CertificateReader.Read(System.Text.Encoding.UTF8.GetBytes(text)).Certificates.FirstOrDefault()?.FingerprintHex;
        }
        catch (OpenPgpFormatException)
        {
            return null;
        }
    }

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Npgsql.NpgsqlException e)
        {
            throw AccountStore.DatabaseError(e);
        }
    }
}
