using QuayGateway.Tenants;

namespace QuayGateway.Tests.Tenants;

public sealed class NamePatternTests
{
    [Theory]
    [InlineData("payments-*", "payments-eu", true)]
    [InlineData("payments-*", "payments-", true)]
    [InlineData("payments-*", "payment", false)]
    [InlineData("payments-*", "xpayments-eu", false)]
    [InlineData("*", "kube-system", true)]
    [InlineData("team-*-prod", "team-a-prod", true)]
    [InlineData("team-*-prod", "team-prod", false)]
    [InlineData("*-*-x", "a-b-x", true)]
    [InlineData("*-*-x", "a-x", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exact-not", false)]
    public void Globs_match_the_whole_name(string pattern, string name, bool matches) =>
        Assert.Equal(matches, NamePattern.Matches(pattern, name));
}
