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
        IReadOnlyList<LogLine> lines;
        await using (var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, "qgw-startup-log-key",
                         "--Logging:LogLevel:Default=Information"))
        {
            await Task.Delay(500);
            lines = LogLine.ParseAll(gateway.Output);
        }

        // Production writes JSON lines: a test that looked for the simple format's "fail:" passed over the real failure.
        Assert.NotEmpty(lines);
        Assert.DoesNotContain(lines, l => l.Id == 20102);
        Assert.DoesNotContain(lines, l => l.Level is "Error" or "Critical");
        Assert.DoesNotContain(lines, l => l.Error is not null);
        Assert.Contains(lines, l => l is { Level: "Information", Source: "QuayGateway.Persistence.StartupMigrator" }
            && System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"^Applied [1-9][0-9]* database migration\(s\)"));
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

    /// <summary>One line of the JSON console log (the format outside Development).</summary>
    internal sealed record LogLine(string Level, int Id, string Source, string Text, string? Error)
    {
        public static IReadOnlyList<LogLine> ParseAll(string output)
        {
            var lines = new List<LogLine>();
            foreach (var text in output.Split('\n'))
            {
                if (!text.StartsWith('{'))
                {
                    continue;
                }

                using var json = System.Text.Json.JsonDocument.Parse(text);
                var root = json.RootElement;
                lines.Add(new LogLine(root.GetProperty("LogLevel").GetString()!, root.GetProperty("EventId").GetInt32(),
                    root.GetProperty("Category").GetString()!, root.GetProperty("Message").GetString() ?? "",
                    root.TryGetProperty("Exception", out var exception) ? exception.GetString() : null));
            }

            return lines;
        }
    }
}
