using System.Net;
using QuayGateway.Hosting;

namespace QuayGateway.Tests.Hosting;

public sealed class DestinationGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.10")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    public void Internal_addresses_are_restricted(string address)
    {
        Assert.True(DestinationGuard.IsRestricted(IPAddress.Parse(address)));
        Assert.False(new DestinationGuard([]).IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700:4700::1111")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.False(DestinationGuard.IsRestricted(IPAddress.Parse(address)));
        Assert.True(new DestinationGuard([]).IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void The_allowlist_opens_listed_ranges_and_hosts_only()
    {
        var guard = new DestinationGuard(["127.0.0.0/8", "10.20.0.0/16", "hooks.internal.example"]);

        Assert.True(guard.IsAllowed(IPAddress.Parse("127.0.0.5")));
        Assert.True(guard.IsAllowed(IPAddress.Parse("10.20.3.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("10.21.3.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("::1")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("169.254.169.254")));
        Assert.True(guard.IsHostAllowed("HOOKS.internal.example"));
        Assert.False(guard.IsHostAllowed("other.internal.example"));
    }

    [Theory]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("https://[::1]:8443/hook")]
    [InlineData("http://192.168.0.1:8080/")]
    public async Task Urls_that_resolve_internally_are_refused_with_a_reason(string url)
    {
        var reason = await new DestinationGuard([]).CheckAsync(new Uri(url), CancellationToken.None);

        Assert.NotNull(reason);
        Assert.Contains("AllowedDestinations", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Localhost_by_name_is_refused_unless_listed()
    {
        Assert.NotNull(await new DestinationGuard([]).CheckAsync(new Uri("http://localhost:8080/"), CancellationToken.None));
        Assert.Null(await new DestinationGuard(["localhost"])
            .CheckAsync(new Uri("http://localhost:8080/"), CancellationToken.None));
    }
}
