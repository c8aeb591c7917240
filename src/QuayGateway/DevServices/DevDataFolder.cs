using QuayGateway.Security;

namespace QuayGateway.DevServices;

/// <summary>
/// The folder where Development keeps what should survive a restart: the bootstrap API key, and per checkout
/// (<see cref="CheckoutFolder"/>) the sandbox's kubeconfig and state (the persistent PostgreSQL keeps its own under
/// <c>quay-gateway/postgres</c>, with one database per checkout). <c>Gateway:DevServices:DataDirectory</c>,
/// by default <c>~/.local/share/quay-gateway</c>.
/// </summary>
public static class DevDataFolder
{
    public const string Setting = "Gateway:DevServices:DataDirectory";
    public const string BootstrapKeyFile = "bootstrap-api-key";
    public const string KubeconfigFile = "sandbox.kubeconfig";
    public const string SandboxStateFolder = "sandbox-state";

    /// <summary>
    /// The folder of one checkout inside the dev data folder, <c>checkouts/&lt;checkout folder name&gt;-&lt;hash of its
    /// path&gt;</c>: the sandbox's kubeconfig and state live there, so two checkouts on one machine never share a sandbox.
    /// The checkout is the nearest folder above <paramref name="contentRoot"/> that holds <c>.git</c>, else the content root.
    /// </summary>
    public static string CheckoutFolder(IConfiguration configuration, string contentRoot) =>
        Path.Combine(Resolve(configuration), "checkouts", CheckoutKey(contentRoot));

    /// <summary>
    /// A short name for the checkout that holds <paramref name="contentRoot"/>: its folder name (letters, digits, <c>_</c>
    /// only, lower case) and the first 8 hex digits of the SHA-256 of its full path.
    /// </summary>
    public static string CheckoutKey(string contentRoot)
    {
        var root = Path.GetFullPath(contentRoot).TrimEnd(Path.DirectorySeparatorChar);
        for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                root = dir.FullName.TrimEnd(Path.DirectorySeparatorChar);
                break;
            }
        }

        var name = new string(Path.GetFileName(root).ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root)))[..8];
        return $"{(name.Length > 0 ? name[..Math.Min(name.Length, 32)] : "root")}_{hash}";
    }

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
