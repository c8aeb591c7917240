using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Persistence;

/// <summary>A real gateway outside Development, without a certificate and without the explicit allowance, does not start.</summary>
[Collection(GatewayCollection.Name)]
public sealed class UnprotectedKeyRingStartupTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Outside_development_the_gateway_refuses_to_start_with_an_unprotected_key_ring_and_names_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayProcess.StartAsync(gateway.ConnectionString,
            GatewayFixture.AdminKey, "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
            "--Gateway:DataProtection:AllowUnprotectedKeys=false"));

        Assert.Contains("The gateway exited", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateway:DataProtection:AllowUnprotectedKeys=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateway:DataProtection:CertificatePath", error.Message, StringComparison.Ordinal);
    }
}
