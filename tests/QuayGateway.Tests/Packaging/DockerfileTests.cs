namespace QuayGateway.Tests.Packaging;

/// <summary>No Docker engine here, so the Dockerfile's invariants are checked as text.</summary>
public sealed class DockerfileTests
{
    private static readonly string[] Lines = JoinContinuations(Repo.Read("Dockerfile"));

    private static IEnumerable<string> Instructions(string name) =>
        Lines.Where(l => l.StartsWith(name + " ", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void Builds_with_the_SDK_and_runs_on_the_ASP_NET_runtime()
    {
        var stages = Instructions("FROM").ToList();
        Assert.True(stages.Count >= 2, "expected a multi-stage build");
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", stages[^1], StringComparison.Ordinal);
        Assert.Contains(Instructions("COPY"), l => l.Contains("--from=build", StringComparison.Ordinal));
    }

    [Fact]
    public void Runs_as_a_numeric_non_root_user_on_port_8080_without_a_healthcheck()
    {
        var finalStage = Lines.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal)).ToList();
        var user = finalStage.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotNull(user);
        var uid = user["USER ".Length..].Split(':')[0].Trim();
        Assert.True(int.TryParse(uid, out var id) && id > 0, $"the runtime user must be a numeric non-root UID (runAsNonRoot checks it), not '{uid}'");
        Assert.Contains(finalStage, l => l == "EXPOSE 8080");
        Assert.Contains(finalStage, l => l.Contains("ASPNETCORE_HTTP_PORTS=8080", StringComparison.Ordinal));
        Assert.DoesNotContain(Lines, l => l.StartsWith("HEALTHCHECK", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"QuayGateway.dll\"]", Lines);
    }

    [Fact]
    public void Restores_from_the_central_package_files_and_copies_no_tests()
    {
        var copies = Instructions("COPY").Where(l => !l.Contains("--from=", StringComparison.Ordinal)).ToList();
        var sources = copies.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1]).ToList();
        Assert.Contains("Directory.Packages.props", sources);
        Assert.Contains("Directory.Build.props", sources);
        Assert.DoesNotContain(sources, s => s is "." or "./" or "*" || s.StartsWith("tests", StringComparison.Ordinal));
        var restore = Lines.ToList().FindIndex(l => l.Contains("dotnet restore", StringComparison.Ordinal));
        var sourceCopy = Lines.ToList().FindIndex(l => l == "COPY src/ src/");
        Assert.True(restore >= 0 && sourceCopy > restore, "restore runs before the sources are copied (a cached layer)");
    }

    [Fact]
    public void Dockerignore_lets_in_only_what_the_build_needs()
    {
        var rules = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal("*", rules[0]);
        var allowed = rules.Where(r => r.StartsWith('!')).Select(r => r[1..].TrimEnd('/')).ToList();
        Assert.DoesNotContain(allowed, a => a.StartsWith("tests", StringComparison.Ordinal) || a.Contains(".local", StringComparison.Ordinal) || a.StartsWith("chart", StringComparison.Ordinal));
        foreach (var source in Instructions("COPY").Where(l => !l.Contains("--from=", StringComparison.Ordinal))
                     .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1]))
        {
            Assert.Contains(allowed, a => source == a || source.StartsWith(a + "/", StringComparison.Ordinal));
        }

        Assert.Contains("**/bin/", rules);
        Assert.Contains("**/obj/", rules);
    }

    private static string[] JoinContinuations(string text) =>
        text.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
}
