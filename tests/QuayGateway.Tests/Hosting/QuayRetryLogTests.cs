using System.Net;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Operator;
using QuayGateway.Tests.Chaos;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// A Quay that fails reads, as an operator reads it at Information: the retried attempts (Polly) and the answer, each
/// a line with its reason and no stack trace, nothing at Error.
/// </summary>
public sealed class QuayRetryLogTests
{
    [Fact]
    public async Task Retried_and_failed_Quay_reads_log_without_stack_traces_or_errors()
    {
        await using var environment = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(200));
        var replica = await environment.StartReplicaAsync(
            "--Logging:LogLevel:Default=Information",
            $"--Gateway:Clusters:{ChaosEnvironment.Cluster}:QuayProxy={environment.Sandbox.QuayProxyUrl}",
            $"--Gateway:Clusters:{ChaosEnvironment.Cluster}:QuayCaBundle={environment.Sandbox.QuayCaPath}",
            $"--Gateway:Clusters:{ChaosEnvironment.Cluster}:AppsDomain={environment.Sandbox.Options.AppsDomain}",
            "--Gateway:Quay:Timeout=00:00:02");
        using var client = ChaosEnvironment.Client(replica);

        using var created = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("retry-logs", "retry-logs",
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" },
            InitialUser: new InitialUserRequest("quayadmin", "quayadmin@example.com", "correct-horse-battery")));
        Assert.True(created.StatusCode == HttpStatusCode.Accepted, await created.Content.ReadAsStringAsync());
        var id = (await created.ReadAsync<RegistryResponse>()).Id;
        await ChaosEnvironment.WaitForStatesAsync(client, [id], TimeSpan.FromMinutes(2), RegistryState.Ready);
        var quay = environment.Sandbox.Faults.QuayApi;

        // A Quay answering 500: two retries (ReadRetries), then 502 quay-error.
        quay.AddError(new QuayApiErrorFault(500, 1.0, "/api/v1/superuser"));
        using (var failing = await client.GetAsync($"/v1/registries/{id}/quay/users"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, failing.StatusCode);
            Assert.EndsWith("/quay-error", (await failing.ReadAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>()).Type);
        }

        // A Quay that hangs: every attempt times out (an exception inside the pipeline), then 504 quay-timeout.
        quay.Clear();
        quay.AddHang("/api/v1/superuser");
        using (var hanging = await client.GetAsync($"/v1/registries/{id}/quay/users"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, hanging.StatusCode);
            Assert.EndsWith("/quay-timeout", (await hanging.ReadAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>()).Type);
        }

        quay.Clear();
        await Task.Delay(1000);
        var lines = StartupLogTests.LogLine.ParseAll(replica.Output);
        var output = string.Join('\n', lines.Select(l => $"{l.Level} {l.Source} {l.Id}: {l.Text} {l.Error}"));

        Assert.DoesNotContain(lines, l => l.Error is not null);
        Assert.DoesNotContain(lines, l => l.Text.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Level is "Error" or "Critical");
        // Each retry is told once, at Warning, with its reason; Polly's own attempt lines stay below Warning.
        Assert.DoesNotContain(lines, l => l.Source.StartsWith("Polly", StringComparison.Ordinal));
        var retries = lines.Where(l => l.Source == "QuayGateway.Quay.QuayClient" && l.Text.Contains("; retrying in", StringComparison.Ordinal)).ToList();
        Assert.True(retries.Count == 4, output);
        Assert.All(retries, l => Assert.Equal("Warning", l.Level));
        Assert.Equal(2, retries.Count(l => l.Text.Contains("GET retry-logs-quay-retry-logs.apps.sandbox.quaygateway.local/api/v1/superuser/users/", StringComparison.Ordinal)
                                              && l.Text.Contains("(HTTP 500)", StringComparison.Ordinal)));
        Assert.Equal(2, retries.Count(l => l.Text.Contains("(TimeoutRejectedException:", StringComparison.Ordinal)));
    }
}
