using System.Diagnostics;
using System.Text;

namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// <c>sendmail -bs</c>: Postfix's sendmail speaking SMTP on stdin/stdout. The message is queued
/// only when the final dot is accepted; killing the process before that queues nothing.
/// </summary>
internal sealed class SendmailChannel : IReinjectionChannel
{
    private const int MaxDiagnostics = 4096;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private SendmailChannel(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_stderr)
            {
                if (_stderr.Length < MaxDiagnostics)
                    _stderr.Append(_stderr.Length > 0 ? "; " : string.Empty).Append(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    public Stream Reader => _process.StandardOutput.BaseStream;

    public Stream Writer => _process.StandardInput.BaseStream;

    public string Diagnostics
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    public async Task<string> CollectDiagnosticsAsync()
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            // After exit, WaitForExitAsync also waits for the redirected stderr to be drained.
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // still running: report what it said so far
        }

        return Diagnostics;
    }

    public static SendmailChannel Start(string path, IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
            psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-bs");
        try
        {
            var p = Process.Start(psi) ?? throw new ReinjectionException($"could not start {path}");
            return new SendmailChannel(p);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ReinjectionException($"could not start {path}: {e.Message}", e);
        }
    }

    public void Abort()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // sendmail already closed its end
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Abort();
        }

        _process.Dispose();
    }
}
