using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuayGateway.DevServices;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Persistence;

/// <summary>
/// The README's backup and restore, done: a gateway with a Data Protection certificate rolls out a registry and stores
/// its Quay token; <c>pg_dump -Fc</c> of its database goes through <c>pg_restore</c> into a new database; a gateway on
/// the restored database serves the registry, and the stored token opens with the same certificate and not another.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BackupRestoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("qg-backup-");

    [Fact]
    public async Task A_pg_dump_restored_into_a_new_database_serves_the_registries_and_opens_their_secrets_with_the_same_certificate()
    {
        var certificate = WriteCertificate("certificate.pfx");
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        string[] settings =
        [
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Sandbox:PhaseDelay=00:00:00.050",
            $"--Gateway:DataProtection:CertificatePath={certificate}", "--Gateway:DataProtection:CertificatePassword=backup-test",
            "--Gateway:DataProtection:AllowUnprotectedKeys=false",
        ];

        Guid id;
        JsonNode before;
        await using (var original = await GatewayProcess.StartAsync(postgres.ConnectionString, GatewayFixture.AdminKey, settings))
        {
            using var http = Client(original);
            using var created = await http.PostAsJsonAsync("/v1/registries", new
            {
                name = "backup-check", @namespace = "backup-check",
                configBundle = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n" },
                initialUser = new { username = "quayadmin", email = "quayadmin@example.com", password = "backup-check-password" },
            });
            Assert.True(created.StatusCode == HttpStatusCode.Accepted, await created.Content.ReadAsStringAsync());
            id = Guid.Parse((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!);
            before = await GatewayFixture.EventuallyAsync(
                async () => JsonNode.Parse(await http.GetStringAsync($"/v1/registries/{id}"))!,
                r => (string?)r["state"] == "Ready", TimeSpan.FromSeconds(90));
        }

        // Backup and restore with PostgreSQL's own tools, into a database that did not exist.
        var source = new NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        var restored = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "quay_gateway_restored" };
        var dump = Path.Combine(_dir.FullName, "quay-gateway.dump");
        await PgToolAsync(source, "pg_dump", "-Fc", "-f", dump, "-d", source.Database!);
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand("CREATE DATABASE quay_gateway_restored", admin).ExecuteNonQueryAsync();
        }

        await PgToolAsync(restored, "pg_restore", "--no-owner", "-d", restored.Database!, dump);

        await using (var replacement = await GatewayProcess.StartAsync(restored.ConnectionString, GatewayFixture.AdminKey,
                         [.. settings, "--Gateway:Watch:Enabled=false", "--Gateway:Jobs:Server=false"]))
        {
            using var http = Client(replacement);
            var after = JsonNode.Parse(await http.GetStringAsync($"/v1/registries/{id}"))!;
            Assert.Equal((string?)before["state"], (string?)after["state"]);
            Assert.Equal((string?)before["name"], (string?)after["name"]);
            var events = JsonNode.Parse(await http.GetStringAsync($"/v1/registries/{id}/events"))!;
            Assert.NotEmpty((events as JsonArray ?? events["items"]!.AsArray()));
        }

        // The stored Quay token opens with the certificate the backup was taken under, and with no other.
        Assert.False(string.IsNullOrEmpty(await OpenTokenAsync(restored.ConnectionString, id, certificate)));
        var other = WriteCertificate("other.pfx");
        await Assert.ThrowsAnyAsync<CryptographicException>(() => OpenTokenAsync(restored.ConnectionString, id, other));
    }

    private static HttpClient Client(GatewayProcess gateway)
    {
        var http = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", GatewayFixture.AdminKey);
        return http;
    }

    /// <summary>Opens the registry's stored Quay token as the gateway does: key ring from the database, the given certificate.</summary>
    private static async Task<string> OpenTokenAsync(string connectionString, Guid registryId, string certificatePath)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:DataProtection:CertificatePath"] = certificatePath,
            ["Gateway:DataProtection:CertificatePassword"] = "backup-test",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<GatewayDb>(o => o.UseGatewayDb(connectionString));
        services.AddDataProtection().SetApplicationName("quay-gateway").PersistKeysToDbContext<GatewayDb>()
            .ProtectKeysWithConfiguredCertificate(configuration);
        await using var provider = services.BuildServiceProvider();
        using var scope = provider.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
        var account = await db.QuayAccounts.AsNoTracking().SingleAsync(a => a.RegistryId == registryId);
        Assert.NotNull(account.ProtectedToken);
        var vault = new QuayTokenVault(provider.GetRequiredService<IDataProtectionProvider>(), TimeProvider.System);
        Assert.True(vault.TryOpen(account, out var token, out var problem), problem?.Detail);
        return token;
    }

    private static async Task PgToolAsync(NpgsqlConnectionStringBuilder target, string tool, params string[] args)
    {
        var binDir = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, tool))).Order(StringComparer.Ordinal).Last();
        var start = new ProcessStartInfo(Path.Combine(binDir, tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-h", target.Host!, "-p", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", target.Username! }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = target.Password;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool}: {await errors}");
    }

    private string WriteCertificate(string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=quay-gateway-data-protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "backup-test"));
        return path;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
