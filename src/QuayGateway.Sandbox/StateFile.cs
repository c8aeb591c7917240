namespace QuayGateway.Sandbox;

/// <summary>Writes a file so a reader (or a crash) sees the old content or the new, never a part: temp file, flush, rename.</summary>
internal static class StateFile
{
    public static void WriteAtomically(string path, string text, bool ownerOnly) =>
        WriteAtomically(path, System.Text.Encoding.UTF8.GetBytes(text), ownerOnly);

    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool ownerOnly)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
