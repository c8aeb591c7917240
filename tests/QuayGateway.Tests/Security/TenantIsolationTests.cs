using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Security;

/// <summary>
/// Tenant B, holding every scope a tenant can have, calls every endpoint in the routing table with tenant A's ids.
/// Anything naming one of A's resources answers 404 (or 403 where B lacks the scope); everything else (lists, fleet
/// status, the audit log, metrics, the dashboard...) shows nothing of A's. Endpoints are read from the routing table, so one added
/// later is covered without editing this test; a route parameter of a kind this test cannot fill fails it loudly.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantIsolationTests(GatewayFixture gateway)
{
    /// <summary>What a tenant can hold, all of it: B gets every one (and never <c>platform:admin</c>, which is not a tenant's).</summary>
    private static readonly string[] TenantScopes = [Scopes.Admin, Scopes.RegistriesRead, Scopes.RegistriesWrite, Scopes.QuayAdmin, Scopes.WebhooksAdmin];

    [Fact]
    public async Task Every_endpoint_called_by_another_tenant_with_a_tenants_ids_answers_404_or_403_and_shows_nothing_of_it()
    {
        var a = await TenantA.CreateAsync(gateway);
        using var b = gateway.Client(await gateway.CreateKeyAsync($"iso-b-{Guid.NewGuid():N}"[..16], TenantScopes));
        var examples = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync("/swagger/v1/swagger.json"))!["paths"]!.AsObject();
        var failures = new List<string>();
        var called = 0;
        // Everything B has sent so far: B may see it again (a problem's instance, B's own audit entries), nothing else of A's.
        var sent = new StringBuilder();

        foreach (var (pattern, method) in Routes())
        {
            var url = a.Fill(pattern, out var namesA, out var unknown);
            if (unknown is not null)
            {
                failures.Add($"{method} {pattern}: the test knows no value of tenant A for '{unknown}'; teach TenantA.Fill the new kind");
                continue;
            }

            var body = RequestBody(examples, pattern, method, a);
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            using var response = await b.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            called++;
            var status = (int)response.StatusCode;
            sent.Append(url).Append(body?.ToJsonString());
            var leaked = a.Markers.Where(m => text.Contains(m, StringComparison.Ordinal) && !sent.ToString().Contains(m, StringComparison.Ordinal)).ToList();
            if (status >= 500)
            {
                failures.Add($"{method} {url}: {status} {Truncate(text)}");
            }
            else if (namesA && status is not (404 or 403))
            {
                failures.Add($"{method} {url} names tenant A's resource: expected 404 or 403, got {status} {Truncate(text)}");
            }
            else if (body is not null && a.Markers.Any(m => body.ToJsonString().Contains(m, StringComparison.Ordinal)) && status < 400)
            {
                failures.Add($"{method} {url} with tenant A's {string.Join(", ", a.Markers.Where(m => body.ToJsonString().Contains(m, StringComparison.Ordinal)))} in the body was accepted: {status}");
            }
            else if (leaked.Count > 0)
            {
                failures.Add($"{method} {url} ({status}) shows tenant A's {string.Join(", ", leaked)}");
            }
        }

        Assert.True(called >= 25, $"only {called} endpoints were called; is the routing table read?");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_tenant_sees_its_own_resources_so_the_markers_would_show_a_leak()
    {
        // The check above is only as good as its markers: the owner finds them where the other tenant must not.
        var a = await TenantA.CreateAsync(gateway);

        var registries = await a.Client.GetStringAsync("/v1/registries");
        var webhooks = await a.Client.GetStringAsync("/v1/webhooks");
        var keys = await a.Client.GetStringAsync("/v1/api-keys");

        Assert.Contains(a.RegistryId.ToString(), registries, StringComparison.Ordinal);
        Assert.Contains(a.WebhookId.ToString(), webhooks, StringComparison.Ordinal);
        Assert.Contains(a.KeyId, keys, StringComparison.Ordinal);
        Assert.Contains(a.Namespace, (await a.Client.GetStringAsync("/v1/status")) + registries, StringComparison.Ordinal);
    }

    /// <summary>Every (route pattern, method) the gateway serves, from the routing table.</summary>
    private IEnumerable<(string Pattern, string Method)> Routes() =>
        gateway.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Pattern: e.RoutePattern.RawText ?? "/", Method: m)))
            .Where(r => r.Method is not ("HEAD" or "OPTIONS"))
            .Distinct()
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal);

    /// <summary>
    /// The operation's documented example body, with tenant A's tenant, name and namespace wherever the example has
    /// such a field: a write naming A's things must be refused, not carried out for B.
    /// </summary>
    private static JsonNode? RequestBody(JsonObject paths, string pattern, string method, TenantA a)
    {
        if (method is "GET" or "DELETE")
        {
            return null;
        }

        var documented = StripConstraints(pattern);
        var example = paths[documented]?[method.ToLowerInvariant()]?["requestBody"]?["content"]?["application/json"]?["example"]?.DeepClone();
        if (example is JsonObject body)
        {
            foreach (var (field, value) in new[] { ("tenant", a.Tenant), ("namespace", a.Namespace), ("name", a.Name) })
            {
                if (body.ContainsKey(field))
                {
                    body[field] = value;
                }
            }
        }

        return example ?? new JsonObject();
    }

    private static string StripConstraints(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\**(?<name>[A-Za-z]+)(:[^}]*)?\}", "{${name}}");

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>Tenant A and one of everything it can own.</summary>
    private sealed record TenantA(HttpClient Client, string Tenant, Guid RegistryId, string Name, string Namespace, Guid WebhookId, string WebhookUrl,
        Guid DeliveryId, string KeyId)
    {
        public static async Task<TenantA> CreateAsync(GatewayFixture gateway)
        {
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var tenant = $"iso-a-{suffix}";
            var client = gateway.Client(await gateway.CreateKeyAsync(tenant, TenantScopes));
            var name = $"iso-reg-{suffix}";
            var ns = $"iso-ns-{suffix}";
            using var created = await client.PostAsJsonAsync("/v1/registries", new CreateRegistryRequest(name, ns), TestJson.Options);
            created.EnsureSuccessStatusCode();
            var registryId = Guid.Parse((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!);

            var webhookUrl = $"http://127.0.0.1:9/iso-hook-{suffix}";
            using var webhook = await client.PostAsJsonAsync("/v1/webhooks", new { url = webhookUrl, events = new[] { "registry.ready" } });
            webhook.EnsureSuccessStatusCode();
            var webhookId = Guid.Parse((string)JsonNode.Parse(await webhook.Content.ReadAsStringAsync())!["id"]!);
            using var ping = await client.PostAsync($"/v1/webhooks/{webhookId}/ping", null);
            ping.EnsureSuccessStatusCode();
            var deliveries = await GatewayFixture.EventuallyAsync(
                async () => JsonNode.Parse(await client.GetStringAsync($"/v1/webhooks/{webhookId}/deliveries"))!,
                d => (d["items"] ?? d).AsArray().Count > 0, TimeSpan.FromSeconds(30));
            var deliveryId = Guid.Parse((string)(deliveries["items"] ?? deliveries).AsArray()[0]!["id"]!);

            using var key = await client.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest($"iso-key-{suffix}", [Scopes.RegistriesRead]));
            key.EnsureSuccessStatusCode();
            var keyId = (string)JsonNode.Parse(await key.Content.ReadAsStringAsync())!["id"]!;
            return new TenantA(client, tenant, registryId, name, ns, webhookId, webhookUrl, deliveryId, keyId);
        }

        /// <summary>What must never appear in another tenant's answers.</summary>
        public IReadOnlyList<string> Markers => [Tenant, RegistryId.ToString(), Name, Namespace, WebhookId.ToString(), WebhookUrl, DeliveryId.ToString(), KeyId];

        /// <summary>
        /// The route with each parameter filled with A's value of that kind, told by the path segment before it
        /// (<c>/registries/{id}</c> is a registry id). <paramref name="namesA"/> says whether any parameter named A's.
        /// </summary>
        public string Fill(string pattern, out bool namesA, out string? unknown)
        {
            var segments = pattern.Trim('/').Split('/');
            var filled = new List<string>();
            namesA = false;
            unknown = null;
            for (var i = 0; i < segments.Length; i++)
            {
                if (!segments[i].StartsWith('{'))
                {
                    filled.Add(segments[i]);
                    continue;
                }

                if (segments[i].StartsWith("{*", StringComparison.Ordinal))
                {
                    continue; // a catch-all (the dashboard): its root
                }

                string? value = (i > 0 ? segments[i - 1] : null) switch
                {
                    "registries" => RegistryId.ToString(),
                    "webhooks" => WebhookId.ToString(),
                    "deliveries" => DeliveryId.ToString(),
                    "api-keys" => KeyId,
                    "organizations" => $"{Name.Replace("-", "", StringComparison.Ordinal)}org",
                    "robots" => "ci",
                    "teams" => "devs",
                    "tenants" => Tenant,
                    _ => null,
                };
                if (value is null)
                {
                    unknown = segments[i];
                    return pattern;
                }

                namesA = true;
                filled.Add(value);
            }

            return "/" + string.Join('/', filled);
        }
    }
}
