using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Security;

/// <summary>
/// Bearer tokens signed by a local OIDC issuer (an RSA key made here, its discovery document and JWKS served over
/// HTTP): the tenant and the scopes come from the configured claims (here <c>org</c> and <c>permissions</c>) and from
/// nothing else, so a token's own <c>tenant</c>, <c>scope</c> or <c>scp</c> claims count for nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class JwtClaimsTests(GatewayFixture gateway) : IAsyncLifetime
{
    private const string Audience = "quay-gateway";
    private readonly RSA _rsa = RSA.Create(2048);
    private WebApplication _issuer = null!;
    private string _issuerUrl = null!;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _issuer = builder.Build();
        var publicKey = _rsa.ExportParameters(includePrivateParameters: false);
        _issuer.MapGet("/.well-known/openid-configuration", () => Results.Json(new JsonObject
        {
            ["issuer"] = _issuerUrl,
            ["jwks_uri"] = _issuerUrl + "/jwks",
        }));
        _issuer.MapGet("/jwks", () => Results.Json(new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = "test-key",
                ["n"] = Base64UrlEncoder.Encode(publicKey.Modulus), ["e"] = Base64UrlEncoder.Encode(publicKey.Exponent),
            }),
        }));
        await _issuer.StartAsync();
        _issuerUrl = _issuer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _gateway = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
            $"--Gateway:Auth:Jwt:Authority={_issuerUrl}", $"--Gateway:Auth:Jwt:Audience={Audience}",
            "--Gateway:Auth:Jwt:RequireHttpsMetadata=false",
            "--Gateway:Auth:Jwt:TenantClaim=org", "--Gateway:Auth:Jwt:ScopeClaim=permissions");
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _issuer.DisposeAsync();
        _rsa.Dispose();
    }

    [Fact]
    public async Task Tenant_and_scopes_come_only_from_the_configured_claims()
    {
        var acme = await InsertRegistryAsync("jwt-acme");
        var evil = await InsertRegistryAsync("jwt-evil");

        // The configured claims: tenant jwt-acme, registries:read. The rest of the token would say otherwise.
        var token = Token(new()
        {
            ["org"] = "jwt-acme", ["permissions"] = "registries:read",
            ["tenant"] = "jwt-evil", ["scope"] = "admin registries:write", ["scp"] = "admin",
        });
        using var listed = await SendAsync(HttpMethod.Get, "/v1/registries", token);
        var body = await listed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains(acme, body, StringComparison.Ordinal);
        Assert.DoesNotContain(evil, body, StringComparison.Ordinal);
        using (var keys = await SendAsync(HttpMethod.Get, "/v1/api-keys", token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode); // scope "admin" (and scp) is not the configured claim
        }

        using (var write = await SendAsync(HttpMethod.Post, "/v1/registries", token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        }

        // No configured tenant claim: not authenticated, whatever "tenant" says.
        using (var noTenant = await SendAsync(HttpMethod.Get, "/v1/registries", Token(new() { ["tenant"] = "jwt-acme", ["permissions"] = "registries:read" })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noTenant.StatusCode);
        }

        // Scopes only in scp or scope: none.
        using (var scp = await SendAsync(HttpMethod.Get, "/v1/registries", Token(new() { ["org"] = "jwt-acme", ["scp"] = "registries:read", ["scope"] = "registries:read" })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, scp.StatusCode);
        }

        // A token signed by another key is refused: the issuer's key is what makes the claims count.
        using var stranger = RSA.Create(2048);
        using (var forged = await SendAsync(HttpMethod.Get, "/v1/registries", Token(new() { ["org"] = "jwt-acme", ["permissions"] = "registries:read" }, stranger)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }
    }

    private string Token(Dictionary<string, object> claims, RSA? key = null)
    {
        claims["sub"] = "jwt-test-user";
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _issuerUrl,
            Audience = Audience,
            Claims = claims,
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? _rsa) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
        });
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_gateway.Url) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("""{"name":"jwt-registry","namespace":"jwt"}""", System.Text.Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }

    private async Task<string> InsertRegistryAsync(string tenant)
    {
        var registry = new Registry
        {
            Tenant = tenant, Cluster = "nowhere", Namespace = "jwt", Name = "jwt-" + Guid.NewGuid().ToString("N")[..10],
            Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
        };
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Ready, "Test", "Inserted by the JWT test.", DateTimeOffset.UtcNow);
        await gateway.WithDbAsync(async db =>
        {
            await gateway.Host.Services.GetRequiredService<NewRowsWriter>().InsertAsync(db, rows, CancellationToken.None);
            return 0;
        });
        return registry.Name;
    }
}
