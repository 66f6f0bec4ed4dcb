using System.Diagnostics;
using System.Text;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// Runs an oracle program without deadlocking on it: stdin is fed, and stdout and stderr are
/// drained, concurrently, so a child that writes 20 MB before reading its input, or fills its
/// stderr pipe, never blocks the test. Every run has a timeout after which the whole process
/// tree is killed; the result keeps the exit code and stderr for the failure message.
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
