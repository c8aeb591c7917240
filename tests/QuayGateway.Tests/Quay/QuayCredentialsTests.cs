using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox.QuayApi;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Rollout;

namespace QuayGateway.Tests.Quay;

/// <summary>
/// Durable Quay access (issue 17): the bootstrap mints a 10-year token on every Quay version, the gateway keeps working
/// after the initialize token is gone, renews a refused token when it may, and an operator can supply credentials.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class QuayCredentialsTests(GatewayFixture gateway)
{
    private readonly QuayScenario _quay = new(gateway);

    /// <summary>A Ready registry whose sandbox Quay plays <paramref name="version"/> (the sandbox's version label).</summary>
    private async Task<RegistryResponse> AvailableAsync(string prefix, string version)
    {
        var request = QuayScenario.Request(ProvisioningScenario.UniqueNamespace(prefix)) with
        {
            Labels = new Dictionary<string, string> { [QuayVersions.Label] = version },
        };
        var created = await _quay.Provisioning.CreateAsync(request);
        return await _quay.Provisioning.WaitForAsync(created.Id, RegistryState.Ready);
    }

    private async Task<QuayUserCreated> InitializeAsync(RegistryResponse registry)
    {
        using var response = await _quay.InitializeAsync(registry.Id);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<QuayUserCreated>();
    }

    /// <summary>Every Quay profile the sandbox offers, with the way the bootstrap mints on it.</summary>
    public static TheoryData<string, string> Profiles()
    {
        var rows = new TheoryData<string, string>();
        foreach (var version in QuayVersions.Profiles)
        {
            rows.Add(version, QuayVersions.AtLeast(QuayVersions.Normalize(version), 3, 18) ? "application tokens endpoint" : "/oauth/authorizeapp");
        }

        return rows;
    }

    [Fact]
    public void The_clock_proof_covers_every_behaviour_the_sandboxs_Quay_tells_apart()
    {
        // Before 3.12, 3.12 to 3.17, 3.18 and later, and both operator profiles' own releases.
        var versions = QuayVersions.Profiles.Select(QuayVersions.Normalize).ToList();
        Assert.Contains(versions, v => !QuayVersions.AtLeast(v, 3, 12));
        Assert.Contains(versions, v => QuayVersions.AtLeast(v, 3, 12) && !QuayVersions.AtLeast(v, 3, 18));
        Assert.Contains(versions, v => QuayVersions.AtLeast(v, 3, 18));
        Assert.Contains("3.6.0", versions);
        Assert.Contains(QuayVersions.Default[..QuayVersions.Default.LastIndexOf('.')] + ".0", versions);
    }

    /// <summary>
    /// The clock proof of issue 17: after 3 hours (the initialize token is gone) and then 30 days, users, organizations
    /// and robots (create, list, regenerate, and the robot of the jump before) still work through the gateway, on every
    /// profile. One registry per row: the jumps share it, so each row pays for one rollout only.
    /// </summary>
    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task The_bootstrap_mints_a_durable_token_that_outlives_3_hours_and_30_days(string version, string path)
    {
        var registry = await AvailableAsync("qdur" + version.Replace(".", "", StringComparison.Ordinal), version);
        var before = DateTimeOffset.UtcNow;

        var created = await InitializeAsync(registry);

        Assert.Equal(version + ".0", registry.CurrentVersion);
        Assert.Equal(("minted", null), (created.TokenKind, created.Warning));
        Assert.True(created.TokenExpiresAt > before.AddDays(3650), $"expires {created.TokenExpiresAt:u}");
        Assert.Contains(await _quay.TimelineAsync(registry.Id), e => e.Type == TimelineEntryType.QuayDurableTokenMinted && e.Message!.Contains(path, StringComparison.Ordinal));
        var credentials = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/credentials");
        Assert.Equal(("minted", "quayadmin", "quaygateway"), (credentials["kind"]!.GetValue<string>(), credentials["username"]!.GetValue<string>(),
            credentials["automationOrganization"]!.GetValue<string>()));
        Assert.Contains("super:user", credentials["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        var status = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/status");
        Assert.Equal(credentials.ToJsonString(), status["quayCredentials"]!.ToJsonString());

        string? previousOrg = null;
        foreach (var (step, by) in new[] { ("3h", TimeSpan.FromHours(3)), ("30d", TimeSpan.FromDays(30)) })
        {
            _quay.Sandbox.Quay.Clock.Advance(by);
            var org = $"org{step}";
            using var createdOrg = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec(org, $"{org}@example.com"));
            Assert.Equal(HttpStatusCode.Created, createdOrg.StatusCode);
            var view = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/organizations/{org}");
            Assert.True(view["is_admin"]!.GetValue<bool>());
            var users = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/users");
            Assert.Equal("quayadmin", users["users"]![0]!["username"]!.GetValue<string>());

            var robots = $"/v1/registries/{registry.Id}/quay/organizations/{org}/robots";
            using var robot = await _quay.Client.PostAsJsonAsync(robots, new { name = "ci" });
            Assert.Equal(HttpStatusCode.Created, robot.StatusCode);
            var token = (await robot.ReadObjectAsync())["token"]!.GetValue<string>();
            var listed = await _quay.Provisioning.Read<JsonObject>(robots);
            Assert.Contains($"{org}+ci", listed["robots"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
            using var regenerated = await _quay.Client.PostAsync($"{robots}/ci/regenerate", null);
            Assert.Equal(HttpStatusCode.OK, regenerated.StatusCode);
            Assert.NotEqual(token, (await regenerated.ReadObjectAsync())["token"]!.GetValue<string>());
            if (previousOrg is not null)
            {
                // A robot made before the jump is still the gateway's to regenerate.
                using var older = await _quay.Client.PostAsync($"/v1/registries/{registry.Id}/quay/organizations/{previousOrg}/robots/ci/regenerate", null);
                Assert.Equal(HttpStatusCode.OK, older.StatusCode);
            }

            previousOrg = org;
        }
    }

    [Fact]
    public async Task A_revoked_token_is_minted_again_when_the_password_is_kept_and_announced()
    {
        var registry = await AvailableAsync("qremint", "3.18");
        var configuration = gateway.Host.Services.GetRequiredService<IConfiguration>();
        configuration["Gateway:Quay:KeepBootstrapPassword"] = "true";
        try
        {
            await InitializeAsync(registry);
            var before = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/credentials");
            Assert.True(before["renewable"]!.GetValue<bool>());

            _quay.Sandbox.Quay.Api.RevokeTokens($"{registry.Namespace}/{registry.Name}");
            var users = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/users");

            Assert.Equal("quayadmin", users["users"]![0]!["username"]!.GetValue<string>());
            Assert.Contains("quay.credentials_renewed", await _quay.WebhookEventTypesAsync(registry.Id));
            Assert.Contains(await _quay.TimelineAsync(registry.Id), e => e.Type == TimelineEntryType.QuayCredentialsRenewed);
            var after = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/credentials");
            Assert.Null(after["lastError"]);
            Assert.NotNull(after["lastUsedAt"]);
        }
        finally
        {
            configuration["Gateway:Quay:KeepBootstrapPassword"] = "false";
        }
    }

    [Theory]
    [InlineData(true, HttpStatusCode.Created)]
    [InlineData(false, HttpStatusCode.Conflict)]
    public async Task Robots_teams_and_quotas_use_the_renewable_credentials_too(bool keepPassword, HttpStatusCode expected)
    {
        var registry = await AvailableAsync(keepPassword ? "qrobkeep" : "qrobgone", "3.18");
        var configuration = gateway.Host.Services.GetRequiredService<IConfiguration>();
        configuration["Gateway:Quay:KeepBootstrapPassword"] = keepPassword ? "true" : "false";
        try
        {
            await InitializeAsync(registry);
            using (var org = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec("robotorg", "robotorg@example.com")))
            {
                Assert.Equal(HttpStatusCode.Created, org.StatusCode);
            }

            _quay.Sandbox.Quay.Api.RevokeTokens($"{registry.Namespace}/{registry.Name}");
            using var robot = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations/robotorg/robots", new { name = "ci" });

            Assert.Equal(expected, robot.StatusCode);
            if (keepPassword)
            {
                Assert.Contains("quay.credentials_renewed", await _quay.WebhookEventTypesAsync(registry.Id));
            }
            else
            {
                Assert.Equal(QuayGateway.Hosting.ProblemTypes.QuayCredentialsExpired, (await robot.ReadAsync<JsonObject>())["type"]!.GetValue<string>());
            }
        }
        finally
        {
            configuration["Gateway:Quay:KeepBootstrapPassword"] = "false";
        }
    }

    [Fact]
    public async Task An_operator_supplies_a_token_or_a_password_and_Quays_refusal_is_422()
    {
        var registry = await AvailableAsync("qput", "3.12");
        var created = await InitializeAsync(registry);
        _quay.Sandbox.Quay.Api.RevokeTokens($"{registry.Namespace}/{registry.Name}");
        using (var refused = await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users"))
        {
            await QuayScenario.AssertProblemAsync(refused, HttpStatusCode.Conflict, "quay-credentials-expired");
        }

        var url = $"/v1/registries/{registry.Id}/quay/credentials";
        using var badToken = await _quay.Client.PutAsJsonAsync(url, new { token = created.AccessToken });
        using var badPassword = await _quay.Client.PutAsJsonAsync(url, new { username = "quayadmin", password = "wrongpass1" });
        using var both = await _quay.Client.PutAsJsonAsync(url, new { token = "x", username = "quayadmin", password = "y" });
        using var byPassword = await _quay.Client.PutAsJsonAsync(url, new { username = "quayadmin", password = QuayScenario.Password });

        await QuayScenario.AssertProblemAsync(badToken, HttpStatusCode.UnprocessableEntity, "quay-credentials-invalid");
        Assert.Equal(401, (await badToken.ReadObjectAsync())["quayStatus"]!.GetValue<int>());
        await QuayScenario.AssertProblemAsync(badPassword, HttpStatusCode.UnprocessableEntity, "quay-credentials-invalid");
        Assert.Contains("Invalid Username or Password", (await badPassword.ReadObjectAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await QuayScenario.AssertProblemAsync(both, HttpStatusCode.BadRequest, "validation-failed");
        using var notAToken = await _quay.Client.PutAsJsonAsync(url, new { token = "<a token from Quay → Applications>" }); // found by the fuzz suite: was a 502
        await QuayScenario.AssertProblemAsync(notAToken, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(HttpStatusCode.OK, byPassword.StatusCode);
        var view = await byPassword.ReadObjectAsync();
        Assert.Equal(("minted", false), (view["kind"]!.GetValue<string>(), view["renewable"]!.GetValue<bool>()));
        var users = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/users");
        Assert.Equal("quayadmin", users["users"]![0]!["username"]!.GetValue<string>());

        Assert.Contains(await _quay.TimelineAsync(registry.Id), e => e.Type == TimelineEntryType.QuayCredentialsReplaced);
    }

    [Fact]
    public async Task A_supplied_token_is_checked_against_Quay_and_stored_without_showing_it()
    {
        var registry = await AvailableAsync("qputtok", "3.18");
        var created = await InitializeAsync(registry);
        using var recording = gateway.Logs.Record();

        using var put = await _quay.Client.PutAsJsonAsync($"/v1/registries/{registry.Id}/quay/credentials", new { token = created.AccessToken });
        var body = await put.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var view = JsonNode.Parse(body)!;
        Assert.Equal(("supplied", "quayadmin"), (view["kind"]!.GetValue<string>(), view["username"]!.GetValue<string>()));
        Assert.Null(view["expiresAt"]);
        foreach (var url in new[] { "/quay/credentials", "/status", "/events", "" })
        {
            var text = await _quay.Client.GetStringAsync($"/v1/registries/{registry.Id}{url}");
            Assert.DoesNotContain(created.AccessToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain(QuayScenario.Password, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(created.AccessToken, body, StringComparison.Ordinal);
        Assert.DoesNotContain(gateway.Logs.Entries, e => e.Contains(created.AccessToken, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users")).StatusCode);
    }

    /// <summary>
    /// Quay does not disclose a token's scopes or expiry. For a supplied token the gateway shows the scopes Quay's answer
    /// to GET /api/v1/user/ proves (a lower bound, said so), the rest as unverified, and no expiry with the reason; a
    /// password supplied later mints with the full scopes again, not with that lower bound.
    /// </summary>
    [Fact]
    public async Task A_supplied_tokens_scopes_are_a_verified_lower_bound_and_its_expiry_is_unknown_with_a_reason()
    {
        var registry = await AvailableAsync("qputscope", "3.18");
        var created = await InitializeAsync(registry);
        var account = (await _quay.AccountAsync(registry.Id))!;
        async Task<string> MintAsync(string scope)
        {
            var (status, body) = await _quay.CallQuayDirectlyAsync(registry, HttpMethod.Post,
                $"/api/v1/organization/{account.AutomationOrganization}/applications/{account.ClientId}/tokens", new { name = scope, scope }, created.AccessToken);
            Assert.Equal(HttpStatusCode.OK, status);
            return body!["token"]!.GetValue<string>();
        }

        var url = $"/v1/registries/{registry.Id}/quay/credentials";
        async Task<JsonObject> PutTokenAsync(string scope)
        {
            using var put = await _quay.Client.PutAsJsonAsync(url, new { token = await MintAsync(scope) });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            return await put.ReadObjectAsync();
        }

        static string[] Strings(JsonNode? array) => array!.AsArray().Select(s => s!.GetValue<string>()).ToArray();

        var reader = await PutTokenAsync("user:read repo:read");
        Assert.Equal(("supplied", "verified-lower-bound"), (reader["kind"]!.GetValue<string>(), reader["scopesBasis"]!.GetValue<string>()));
        Assert.Equal(["user:read"], Strings(reader["scopes"]));
        Assert.Contains("repo:read", Strings(reader["unverifiedScopes"])); // held, but only a repository would show it
        Assert.Null(reader["expiresAt"]);
        Assert.Contains("does not tell", reader["expiresAtUnknownReason"]!.GetValue<string>(), StringComparison.Ordinal);

        var orgAdmin = await PutTokenAsync("user:admin org:admin");
        Assert.Equal(["org:admin", "user:admin"], Strings(orgAdmin["scopes"]));
        var superUser = await PutTokenAsync(QuayTokenMinter.InitializeScopes);
        Assert.Equal(["super:user", "user:admin"], Strings(superUser["scopes"])); // org:admin: a superuser's token may administer any org
        Assert.Equal(superUser.ToJsonString(), (await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/status"))["quayCredentials"]!.ToJsonString());

        using (var repoOnly = await _quay.Client.PutAsJsonAsync(url, new { token = await MintAsync("repo:admin") }))
        {
            await QuayScenario.AssertProblemAsync(repoOnly, HttpStatusCode.UnprocessableEntity, "quay-credentials-invalid");
            Assert.Equal(401, (await repoOnly.ReadObjectAsync())["quayStatus"]!.GetValue<int>());
        }

        await PutTokenAsync("user:read");
        using var byPassword = await _quay.Client.PutAsJsonAsync(url, new { username = "quayadmin", password = QuayScenario.Password });
        Assert.Equal(HttpStatusCode.OK, byPassword.StatusCode);
        var minted = await byPassword.ReadObjectAsync();
        Assert.Equal(("granted", 0), (minted["scopesBasis"]!.GetValue<string>(), minted["unverifiedScopes"]!.AsArray().Count));
        Assert.Equal(QuayTokenMinter.InitializeScopes.Split(' '), Strings(minted["scopes"]));
        Assert.Null(minted["expiresAtUnknownReason"]);
    }

    /// <summary>
    /// A renewal (or its failure) happens in the middle of its caller's unit of work, a request's or a job's: what the
    /// caller tracks, and has not saved yet, stays tracked and unsaved; the announcement is written on its own.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Renewing_or_failing_leaves_the_callers_tracked_rows_alone(bool keepPassword)
    {
        var registry = await AvailableAsync(keepPassword ? "qtrackkeep" : "qtrackgone", "3.18");
        var configuration = gateway.Host.Services.GetRequiredService<IConfiguration>();
        configuration["Gateway:Quay:KeepBootstrapPassword"] = keepPassword ? "true" : "false";
        try
        {
            await InitializeAsync(registry);
            await using var scope = gateway.Host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            var credentials = scope.ServiceProvider.GetRequiredService<QuayCredentials>();
            var quay = scope.ServiceProvider.GetRequiredService<QuayClient>();
            var tracked = await db.Registries.SingleAsync(r => r.Id == registry.Id);
            var unsaved = tracked.UpdatedAt.AddSeconds(1);
            tracked.UpdatedAt = unsaved;

            // Quay refuses the first call, as it does a revoked token; the retry after a renewal asks Quay for real.
            var calls = 0;
            var (answer, problem) = await credentials.CallAsync(tracked, (target, token) => ++calls == 1
                ? Task.FromResult(new QuayAnswer(401, "{\"error\": \"invalid_token\"}"))
                : quay.GetUserAsync(target, QuayAuth.Bearer(token), CancellationToken.None), CancellationToken.None);

            Assert.Equal(keepPassword ? (200, null) : (null, QuayGateway.Hosting.ProblemTypes.QuayCredentialsExpired), (answer?.Status, problem?.Type));
            var entry = Assert.Single(db.ChangeTracker.Entries<Registry>());
            Assert.Same(tracked, entry.Entity);
            Assert.Equal((EntityState.Modified, unsaved), (entry.State, entry.Entity.UpdatedAt));
            Assert.Contains(await _quay.TimelineAsync(registry.Id), e => e.Type == (keepPassword ? TimelineEntryType.QuayCredentialsRenewed : TimelineEntryType.QuayCredentialsFailed));
            Assert.Contains(keepPassword ? "quay.credentials_renewed" : "quay.credentials_failed", await _quay.WebhookEventTypesAsync(registry.Id));
        }
        finally
        {
            configuration["Gateway:Quay:KeepBootstrapPassword"] = "false";
        }
    }

    /// <summary>Every text Hangfire keeps of its jobs (and what waits in the outbox to become one).</summary>
    private Task<List<string>> StoredJobTextsAsync() => gateway.WithDbAsync(db => db.Database.SqlQueryRaw<string>(
        "SELECT invocationdata::text || ' ' || coalesce(arguments::text, '') AS \"Value\" FROM hangfire.job " +
        "UNION ALL SELECT coalesce(value, '') FROM hangfire.jobparameter " +
        "UNION ALL SELECT jobs FROM gateway.outbox_jobs").ToListAsync());

    [Fact]
    public async Task No_job_argument_Hangfire_stores_carries_a_password_or_a_token()
    {
        var registry = await AvailableAsync("qjobargs", "3.18");
        var created = await InitializeAsync(registry);
        var url = $"/v1/registries/{registry.Id}/quay/credentials";
        using (var byToken = await _quay.Client.PutAsJsonAsync(url, new { token = created.AccessToken }))
        using (var byPassword = await _quay.Client.PutAsJsonAsync(url, new { username = "quayadmin", password = QuayScenario.Password }))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (byToken.StatusCode, byPassword.StatusCode));
        }

        using (var org = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec("joborg", "joborg@example.com")))
        {
            Assert.Equal(HttpStatusCode.Created, org.StatusCode);
        }

        var robotsUrl = $"/v1/registries/{registry.Id}/quay/organizations/joborg/robots";
        using var robot = await _quay.Client.PostAsJsonAsync(robotsUrl,
            new { name = "ci", pullSecrets = new[] { new { @namespace = registry.Namespace, name = "quay-pull" } } });
        Assert.Equal(HttpStatusCode.Created, robot.StatusCode);
        var robotToken = (await robot.ReadObjectAsync())["token"]!.GetValue<string>();
        using var regenerate = await _quay.Client.PostAsync($"{robotsUrl}/ci/regenerate", null);
        var newToken = (await regenerate.ReadObjectAsync())["token"]!.GetValue<string>();
        var robotId = await gateway.WithDbAsync(db => db.QuayRobots.Where(r => r.RegistryId == registry.Id).Select(r => r.Id).SingleAsync());

        // The robot's pull-secret jobs have reached Hangfire: the texts below are the ones that matter.
        var texts = await GatewayFixture.EventuallyAsync(StoredJobTextsAsync,
            all => all.Count(t => t.Contains(robotId.ToString(), StringComparison.Ordinal)) >= 2);

        Assert.Contains(texts, t => t.Contains(nameof(RobotPullSecretsJob), StringComparison.Ordinal));
        foreach (var secret in new[] { QuayScenario.Password, created.AccessToken, robotToken, newToken })
        {
            Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.Ordinal));
        }
    }
}
