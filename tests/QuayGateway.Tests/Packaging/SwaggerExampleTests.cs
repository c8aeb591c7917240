using QuayGateway.Registries.Api;

namespace QuayGateway.Tests.Packaging;

public sealed class SwaggerExampleTests
{
    [Fact]
    public void The_swagger_example_registry_does_not_collide_with_the_readme_walk_through()
    {
        var readme = Repo.Read("README.md");

        Assert.Contains("\"name\":\"example-registry\"", readme, StringComparison.Ordinal);
        Assert.DoesNotContain($"\"name\":\"{CreateRegistry.Example.Name}\"", readme, StringComparison.Ordinal);
    }
}
