using System.Runtime.CompilerServices;

namespace QuayGateway.Tests.Packaging;

/// <summary>
/// Files of the repository the tests were built from. Found from this source file's own path, not the test output,
/// which may live elsewhere (QG_ARTIFACTS puts build outputs outside the tree).
/// </summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string FindRoot([CallerFilePath] string here = "")
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(here)!);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayGateway.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"QuayGateway.sln not found above {here}.");
    }
}
