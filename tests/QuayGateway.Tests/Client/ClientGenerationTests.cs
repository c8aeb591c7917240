using System.Diagnostics;
using QuayGateway.Tests.Packaging;

namespace QuayGateway.Tests.Client;

/// <summary>
/// The clients a portal builds on are what the committed OpenAPI document produces: the generated .NET client in
/// src/QuayGateway.Client/Generated (eng/generate-client.sh --check regenerates it with the pinned Kiota and compares),
/// and the TypeScript types from openapi-typescript, against which a small usage file must type-check with tsc
/// (eng/check-typescript.sh; its npm packages are installed by .ci/run).
/// </summary>
public sealed class ClientGenerationTests
{
    [Fact]
    public async Task The_committed_dotnet_client_is_what_the_openapi_document_produces()
    {
        var (exitCode, output) = await RunAsync("eng/generate-client.sh", "--check");

        Assert.True(exitCode == 0, $"eng/generate-client.sh --check exited {exitCode}:\n{output}");
    }

    [Fact]
    public async Task TypeScript_types_are_generated_and_a_portals_usage_file_type_checks()
    {
        var (exitCode, output) = await RunAsync("eng/check-typescript.sh");

        Assert.True(exitCode == 0, $"eng/check-typescript.sh exited {exitCode}:\n{output}");
        Assert.Contains("usage.ts type-checks", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repo.PathOf(script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within 10 minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
