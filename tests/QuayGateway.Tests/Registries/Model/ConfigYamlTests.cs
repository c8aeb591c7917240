using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Registries.Model;

/// <summary>
/// config.yaml is parsed in the request; a nesting bomb once overflowed the stack, which no handler can catch and which
/// ends the process. It is refused by depth before the document is built.
/// </summary>
public sealed class ConfigYamlTests
{
    [Theory]
    [InlineData(50_000, "[", "]")] // nested flow sequences
    [InlineData(20_000, "{a: ", "}")] // nested flow mappings, about 100 KB
    public void A_nesting_bomb_is_refused_by_depth_and_does_not_crash(int depth, string open, string close)
    {
        var yaml = string.Concat(Enumerable.Repeat(open, depth)) + string.Concat(Enumerable.Repeat(close, depth));

        Assert.False(ConfigYaml.TryParse(yaml, out _, out var error));
        Assert.Contains(ConfigYaml.MaxDepth.ToString(), error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_style_bomb_is_refused_too()
    {
        var yaml = string.Concat(Enumerable.Range(0, 5_000).Select(i => new string(' ', i) + "- \n"));

        Assert.False(ConfigYaml.TryParse("A:\n" + yaml, out _, out var error));
        Assert.Contains("deeper than", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_fine()
    {
        var depth = ConfigYaml.MaxDepth - 1; // the top-level mapping is one level
        var yaml = "FEATURE_USER_INITIALIZE: true\nDEEP: " + new string('[', depth) + new string(']', depth) + "\n";

        Assert.True(ConfigYaml.TryParse(yaml, out var config, out var error), error);
        Assert.True(config!.IsTrue("FEATURE_USER_INITIALIZE"));
    }

    [Fact]
    public void The_validator_names_the_field_and_the_limit()
    {
        var request = new CreateRegistryRequest("example-registry", "quay-enterprise")
        {
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = new string('[', 50_000) },
        };

        var errors = RegistryRequestValidator.Validate(request, ["sandbox"]);

        Assert.Contains(ConfigYaml.MaxDepth.ToString(), Assert.Single(errors["configBundle.config.yaml"]), StringComparison.Ordinal);
    }
}
