// Mailseal.Benchmarks - side-by-side benchmarks of Mailseal against the tools it replaces.
//
// SYNOPSIS
//   Mailseal.Benchmarks list
//   Mailseal.Benchmarks NAME [options]      (NAME --help lists its options)
//
// DESCRIPTION
//   A dispatcher over the commands in BenchmarkCommands.All: `list` prints the benchmarks one per
//   line (tools/bench.sh runs each of them), NAME runs one. Output is plain aligned text.
//
// DIAGNOSTICS
//   Exit 0 when the benchmark ran (a missed goal is reported in its output, not in the exit code),
//   64 on a usage error, 69 when a program it compares against (gpg) is missing, 70 on any other
//   failure; one line on stderr, never a stack trace.
using Mailseal.Benchmarks;
using Mailseal.Core;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("usage: Mailseal.Benchmarks list | NAME [options]   (NAME --help for its options)");
    foreach (var command in BenchmarkCommands.All)
        Console.WriteLine($"  {command.Name,-14} {command.Description}");
    return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
}

if (args[0] == "list")
{
    foreach (var command in BenchmarkCommands.All.Where(c => c.IsBenchmark))
        Console.WriteLine(command.Name);
    return ExitCodes.Ok;
}

var selected = BenchmarkCommands.Find(args[0]);
if (selected is null)
{
    Console.Error.WriteLine($"Mailseal.Benchmarks: unknown benchmark '{args[0]}' (try: list)");
    return ExitCodes.Usage;
}

if (args.Skip(1).Any(a => a is "-h" or "--help"))
{
    Console.WriteLine($"usage: Mailseal.Benchmarks {selected.Name} [options]\n{selected.Description}\n{selected.Usage}");
    return ExitCodes.Ok;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await selected.RunAsync(args[1..], Console.Out, cancel.Token);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"Mailseal.Benchmarks {selected.Name}: {e.Message}");
    return ExitCodes.Usage;
}
catch (OracleException e)
{
    Console.Error.WriteLine($"Mailseal.Benchmarks {selected.Name}: {e.Message}");
    return ExitCodes.Unavailable;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine($"Mailseal.Benchmarks {selected.Name}: interrupted");
    return ExitCodes.TempFail;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or Mailseal.Core.OpenPgp.OpenPgpFormatException)
{
    Console.Error.WriteLine($"Mailseal.Benchmarks {selected.Name}: {e.Message}");
    return ExitCodes.Software;
}
