namespace QuayGateway.Tests.Packaging;

/// <summary>
/// Files of the repository the tests run from: found by walking up from the test output to QuayGateway.sln, else
/// (output outside the tree, with QG_ARTIFACTS) the source folder recorded at build time.
/// </summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayGateway.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is not null)
        {
            return dir.FullName;
        }

        var recorded = typeof(Repo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        return recorded is not null && File.Exists(Path.Combine(recorded, "QuayGateway.sln"))
            ? Path.GetFullPath(recorded)
            : throw new InvalidOperationException("QuayGateway.sln not found above the test output.");
    }
}
