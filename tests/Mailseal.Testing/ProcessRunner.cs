using System.Diagnostics;
using System.Text;

namespace Mailseal.Testing;

/// <summary>
/// Runs an oracle program without deadlocking on it: stdin is fed, and stdout and stderr are
/// drained, concurrently, so a child that writes 20 MB before reading its input, or fills its
/// stderr pipe, never blocks the test. Every run has a timeout after which the whole process
/// tree is killed; the result keeps the exit code and stderr for the failure message.
/// The one process runner of the test projects (oracles, published tools, the end-to-end
/// harness's servers): the string-in, text-out overloads below are shorthands for a
/// <see cref="ProcessRequest"/>.
/// </summary>
public static class ProcessRunner
{
    private const int BufferSize = 64 * 1024;

    /// <summary>How long output may keep flowing after the child exited (a daemon that inherited the pipe).</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(10);

    /// <summary>Runs the request to completion or timeout.</summary>
    /// <exception cref="OracleException">The program is not installed or cannot be started.</exception>
    public static async Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var startInfo = new ProcessStartInfo(ProgramLocator.Require(request.Program))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in request.Arguments)
            startInfo.ArgumentList.Add(argument);
        if (request.WorkingDirectory is not null)
            startInfo.WorkingDirectory = request.WorkingDirectory;
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";
        if (request.Environment is not null)
        {
            foreach (var (name, value) in request.Environment)
                startInfo.Environment[name] = value;
        }

        using var process = new Process { StartInfo = startInfo };
        var clock = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new OracleException($"cannot start `{request.CommandLine}`: {e.Message}", e);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(request.Timeout);
        var captured = request.StdoutSink is null ? new MemoryStream() : null;
        var stdinTask = FeedAsync(request.Stdin, process.StandardInput.BaseStream, deadline.Token);
        var stdoutTask = DrainAsync(process.StandardOutput.BaseStream, request.StdoutSink ?? captured!, request.StdoutSink is null ? request.MaxCapturedStdout : long.MaxValue, deadline.Token);
        var stderrTask = DrainAsync(process.StandardError.BaseStream, new MemoryStream(), request.MaxCapturedStderr, deadline.Token);

        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            await Task.WhenAll(stdoutTask, stderrTask).WaitAsync(DrainGrace, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
            Kill(process);
        }

        // Collect whatever each pump has; a pump cancelled by the deadline reports what it read.
        await Task.WhenAll(Settle(stdinTask), Settle(stdoutTask), Settle(stderrTask)).ConfigureAwait(false);
        clock.Stop();
        long stdoutLength = stdoutTask.IsCompletedSuccessfully ? stdoutTask.Result.Total : 0;
        string stderr = stderrTask.IsCompletedSuccessfully
            ? Encoding.UTF8.GetString(((MemoryStream)stderrTask.Result.Sink).ToArray())
            : "(stderr not read)";
        return new ProcessResult(
            request.CommandLine,
            timedOut ? -1 : process.ExitCode,
            timedOut,
            captured?.ToArray() ?? [],
            stdoutLength,
            stderr,
            clock.Elapsed);
    }

    /// <summary>How long a program run through the shorthands may take unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/>, feeds it
    /// <paramref name="standardInput"/> (UTF-8, or nothing), with PATH set to
    /// <see cref="ProgramLocator.SystemPath"/> and LC_ALL=C.UTF-8. Throws
    /// <see cref="OracleException"/> when it cannot be started and <see cref="TimeoutException"/>
    /// when it runs longer than <paramref name="timeout"/> (it is then killed, with its children).
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string program,
        IEnumerable<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = ProgramLocator.SystemPath, ["LC_ALL"] = "C.UTF-8", ["LANG"] = "C.UTF-8" };
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                env[k] = v;
        }

        using var stdin = standardInput is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(standardInput));
        var request = new ProcessRequest(program, [.. arguments])
        {
            Stdin = stdin,
            Timeout = timeout ?? DefaultTimeout,
            Environment = env,
            MaxCapturedStdout = 256 * 1024 * 1024,
            MaxCapturedStderr = 4 * 1024 * 1024,
        };
        var result = await RunAsync(request, ct).ConfigureAwait(false);
        return result.TimedOut
            ? throw new TimeoutException($"{request.CommandLine} did not finish within {request.Timeout.TotalSeconds} s")
            : result;
    }

    /// <summary>Like <see cref="RunAsync(string, IEnumerable{string}, string?, TimeSpan?, IReadOnlyDictionary{string, string}?, CancellationToken)"/>, but throws with the output unless the exit status is 0.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(
        string program,
        IEnumerable<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        var result = await RunAsync(program, arguments, standardInput, timeout, environment, ct).ConfigureAwait(false);
        return result.ExitCode == 0
            ? result
            : throw new InvalidOperationException($"{result.CommandLine} exited {result.ExitCode}: {result.Output}");
    }

    /// <summary>
    /// Starts a program that daemonizes (or runs long) with stdin from /dev/null and
    /// stdout/stderr appended to <paramref name="logFile"/>, so that no pipe of ours stays
    /// open in the daemon, and waits for the launcher to exit.
    /// </summary>
    /// <returns>The launcher's exit status.</returns>
    public static async Task<int> RunDetachedAsync(string program, IEnumerable<string> arguments, string logFile, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var args = new List<string> { "-c", "exec \"$0\" \"$@\" </dev/null >>\"$MAILSEAL_E2E_LOG\" 2>&1", ProgramLocator.Require(program) };
        args.AddRange(arguments);
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["MAILSEAL_E2E_LOG"] = logFile };
        var result = await RunAsync("/bin/sh", args, null, timeout, env, ct).ConfigureAwait(false);
        return result.ExitCode;
    }

    private static async Task FeedAsync(Stream? input, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            if (input is not null)
                await input.CopyToAsync(stdin, BufferSize, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The child exited (or closed stdin) before reading everything: EPIPE. Its exit
            // code and stderr say why; the unread input is not an error of the runner.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Closing a pipe whose reader is gone: nothing left to tell the child.
            }
        }
    }

    private static async Task<(Stream Sink, long Total)> DrainAsync(Stream source, Stream sink, long keep, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[BufferSize];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            long room = Math.Max(0, keep - total);
            if (room > 0)
                await sink.WriteAsync(buffer.AsMemory(0, (int)Math.Min(room, read)), cancellationToken).ConfigureAwait(false);
            total += read;
        }

        return (sink, total);
    }

    private static async Task Settle(Task task)
    {
        try
        {
            await task.WaitAsync(DrainGrace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or IOException)
        {
            // Reported through the result (TimedOut, partial output); nothing more to do here.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Exited between the timeout and the kill.
        }
    }
}
