using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QuayGateway.DevServices;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>What a newcomer reads at Information: a first start tells a story, without failures that are not failures.</summary>
public sealed class StartupLogTests
{
    [Fact]
    public async Task A_first_start_on_an_empty_database_says_it_applied_the_migrations_and_logs_no_failed_command()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        string output;
        await using (var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, "qgw-startup-log-key",
                         "--Logging:LogLevel:Default=Information", "--Logging:Console:FormatterName=simple"))
        {
            await Task.Delay(500);
            output = gateway.Output;
        }

        Assert.DoesNotContain("Microsoft.EntityFrameworkCore.Database.Command[20102]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
        Assert.Matches(@"Applied [1-9][0-9]* database migration\(s\)", output);
    }

    [Theory]
    [InlineData("System.Net.Http.HttpClient.quay.LogicalHandler")]
    [InlineData("System.Net.Http.HttpClient.quay.ClientHandler")]
    [InlineData("Polly")]
    public void Http_request_lines_and_retry_attempts_are_not_logged_at_information(string category)
    {
        foreach (var environment in new[] { Environments.Production, Environments.Development })
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                EnvironmentName = environment, ContentRootPath = AppContext.BaseDirectory,
            });
            using var services = builder.Services.BuildServiceProvider();
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(category);

            Assert.False(logger.IsEnabled(LogLevel.Information), $"{category} logs at Information in {environment}");
            Assert.True(logger.IsEnabled(LogLevel.Warning), $"{category} hides warnings in {environment}");
        }
    }
}
