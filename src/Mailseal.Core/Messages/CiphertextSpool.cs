namespace Mailseal.Core.Messages;

/// <summary>
/// A write-then-read buffer for a finished output message (ciphertext and outer headers, never
/// plaintext): memory up to a threshold, then a temp file created 0600, opened with
/// <see cref="FileOptions.DeleteOnClose"/> and unlinked at once, so no name ever points at it
/// and the space is freed even if the process dies.
/// </summary>
public sealed class CiphertextSpool : Stream
{
    private readonly int _memoryThreshold;
    private readonly string _directory;
    private MemoryStream? _memory = new();
    private FileStream? _file;

    /// <summary>A spool that stays in memory up to <paramref name="memoryThreshold"/> bytes, then moves to <paramref name="directory"/>.</summary>
    public CiphertextSpool(int memoryThreshold, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(memoryThreshold);
        _memoryThreshold = memoryThreshold;
        _directory = string.IsNullOrEmpty(directory) ? Path.GetTempPath() : directory;
    }

    /// <summary>True once the content moved to the unlinked temp file.</summary>
    public bool IsOnDisk => _file is not null;

    private Stream Current => (Stream?)_file ?? _memory ?? throw new ObjectDisposedException(nameof(CiphertextSpool));

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => Current.Length;

    /// <inheritdoc/>
    public override long Position { get => Current.Position; set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_file is null && _memory!.Length + buffer.Length > _memoryThreshold)
            MoveToDisk();
        Current.Write(buffer);
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_file is null && _memory!.Length + buffer.Length > _memoryThreshold)
            MoveToDisk();
        return Current.WriteAsync(buffer, cancellationToken);
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>
    /// The content from <paramref name="offset"/> on, to read back once writing is over. The
    /// returned stream is the spool's own store: do not dispose it, dispose the spool.
    /// </summary>
    internal Stream ReadFrom(long offset)
    {
        var s = Current;
        s.Flush();
        s.Position = offset;
        return s;
    }

    /// <summary>Copies everything written so far to <paramref name="destination"/>.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var s = Current;
        s.Position = 0;
        await s.CopyToAsync(destination, 81920, ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override void Flush() => Current.Flush();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Current.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _memory?.Dispose();
            _file?.Dispose();
            _memory = null;
            _file = null;
        }

        base.Dispose(disposing);
    }

    private void MoveToDisk()
    {
        var path = Path.Combine(_directory, "mailseal-spool-" + Guid.NewGuid().ToString("N") + ".tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose,
            BufferSize = 64 * 1024,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var f = new FileStream(path, options);
        try
        {
            File.Delete(path); // unlink now: the open handle keeps the data, no name points at it
            _memory!.Position = 0;
            _memory.CopyTo(f);
        }
        catch
        {
            f.Dispose();
            throw;
        }

        _memory.Dispose();
        _memory = null;
        _file = f;
    }
}
