using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Packaging;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Webhooks;

/// <summary>
/// Real deliveries checked by the reference npm library itself (node + <c>standardwebhooks</c>), where both are
/// installed: <c>cd tests/QuayGateway.Tests/Webhooks/node &amp;&amp; npm install --no-package-lock</c>. Without them the
/// test says so and checks nothing; the ported test vectors in <see cref="Model.WebhookSignatureTests"/> always run.
/// The suite never needs the network.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ReferenceLibraryTests(GatewayFixture gateway, ITestOutputHelper output)
{
    [Fact]
    public async Task Deliveries_signed_with_two_secrets_verify_with_the_npm_standardwebhooks_library_when_installed()
    {
        var folder = Repo.PathOf("tests", "QuayGateway.Tests", "Webhooks", "node");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "standardwebhooks")) || await RunNodeAsync(folder, "--version", null) is null)
        {
            output.WriteLine($"node or the standardwebhooks package is not installed in {folder}; nothing checked here.");
            return;
        }

        await using var receiver = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted]);
        using var rotation = await kit.Client.PostAsync($"/v1/webhooks/{webhook.Id}/rotate-secret", null);
        var rotated = (await rotation.Content.ReadFromJsonAsync<RotatedSecretResponse>(TestJson.Options))!;
        await kit.AddRegistryAsync();
        var request = (await receiver.WaitForAsync(1))[0];

        Assert.Equal("verified", await VerifyAsync(folder, rotated.Secret, request, request.Body));
        Assert.Equal("verified", await VerifyAsync(folder, webhook.Secret, request, request.Body));
        Assert.StartsWith("refused", await VerifyAsync(folder, webhook.Secret, request, request.Body + " "), StringComparison.Ordinal);
        Assert.StartsWith("refused", await VerifyAsync(folder, WebhookSignature.NewSecret(), request, request.Body), StringComparison.Ordinal);
    }

    private static async Task<string?> VerifyAsync(string folder, string secret, ReceivedRequest request, string payload)
    {
        var input = JsonSerializer.Serialize(new
        {
            secret,
            payload,
            headers = new Dictionary<string, string?>
            {
                ["webhook-id"] = request.Header("webhook-id"),
                ["webhook-timestamp"] = request.Header("webhook-timestamp"),
                ["webhook-signature"] = request.Header("webhook-signature"),
            },
        });
        return await RunNodeAsync(folder, "verify.js", input);
    }

    /// <summary>Runs node; its first output line, or null when node cannot be started.</summary>
    private static async Task<string?> RunNodeAsync(string folder, string argument, string? input)
    {
        var start = new ProcessStartInfo("node", argument)
        {
            WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        using (process)
        {
            await process.StandardInput.WriteAsync(input ?? "");
            process.StandardInput.Close();
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            return text.Split('\n')[0].Trim();
        }
    }
}
