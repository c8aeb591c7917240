using QuayGateway.Security;

namespace QuayGateway.DevServices;

/// <summary>
/// The folder where Development keeps what should survive a restart: the bootstrap API key and the sandbox's kubeconfig
/// (the persistent PostgreSQL keeps its own under <c>quay-gateway/postgres</c>). <c>Gateway:DevServices:DataDirectory</c>,
/// by default <c>~/.local/share/quay-gateway</c>.
/// </summary>
public static class DevDataFolder
{
    public const string Setting = "Gateway:DevServices:DataDirectory";
    public const string BootstrapKeyFile = "bootstrap-api-key";
    public const string KubeconfigFile = "sandbox.kubeconfig";

    public static string Resolve(IConfiguration configuration) =>
        configuration[Setting] is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "quay-gateway");

    /// <summary>
    /// The key kept in <paramref name="folder"/> (owner-only, 0600), or a new one written there: the same key on every
    /// restart until the file is deleted.
    /// </summary>
    public static (string Key, string Path, bool Created) LoadOrCreateBootstrapKey(string folder)
    {
        var path = Path.Combine(folder, BootstrapKeyFile);
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } kept)
        {
            return (kept, path, false);
        }

        Directory.CreateDirectory(folder);
        var key = ApiKeySecrets.NewKey().Key;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, options))
        {
            writer.Write(key);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only to a new file; an emptied file kept its old mode.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (key, path, true);
    }
}
