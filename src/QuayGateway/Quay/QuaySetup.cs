using Microsoft.Extensions.Http.Resilience;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Registries.Model;
using QuayGateway.Security;

namespace QuayGateway.Quay;

public static class QuaySetup
{
    /// <summary>The Quay client (per-cluster proxy and TLS, timeouts, retries of reads only), token vault and bootstrap.</summary>
    public static WebApplicationBuilder AddQuay(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(QuayOptions.Section).Get<QuayOptions>() ?? new QuayOptions();
        builder.Services.AddOptions<QuayOptions>().BindConfiguration(QuayOptions.Section);
        builder.DocumentValues<PutTeamRequest>(nameof(PutTeamRequest.Role), OrganizationResourceRules.TeamRoles)
            .DocumentValues<TeamState>(nameof(TeamState.Role), OrganizationResourceRules.TeamRoles)
            // The Quay part of /status is this feature's summary too (QuayAccessSummary), so it declares its kinds.
            .DocumentValues<QuayCredentialsView>(nameof(QuayCredentialsView.Kind), QuayCredentialKinds.All)
            .DocumentValues<RegistryQuayAccess>(nameof(RegistryQuayAccess.Kind), QuayCredentialKinds.All)
            .DocumentValues<QuayCredentialsView>(nameof(QuayCredentialsView.ScopesBasis), QuayCredentialsView.ScopesBases)
            .DocumentValues<RegistryQuayAccess>(nameof(RegistryQuayAccess.ScopesBasis), QuayCredentialsView.ScopesBases)
            .DocumentQuayExamples();
        builder.Services.AddSingleton<QuayTransport>();
        builder.Services.AddSingleton<QuayDestinations>();
        builder.Services.AddScoped<QuayTokenVault>();
        builder.Services.AddScoped<QuayTokenMinter>();
        builder.Services.AddScoped<QuayCredentials>();
        builder.Services.AddScoped<QuayGateway.Registries.Model.IRegistryQuayAccess, QuayAccessSummary>();
        builder.Services.AddScoped<QuayInitializer>();
        builder.Services.AddScoped<QuayOrganizations>();
        builder.Services.AddSingleton<QuayMetrics>();
        builder.Services.AddScoped<IBootstrapRegistryJob, BootstrapJob>();
        builder.Services.AddQuayOrganizationResources(builder.Configuration);
        var http = builder.Services.AddHttpClient<QuayClient>(client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline times each call
                client.MaxResponseContentBufferSize = 1024 * 1024;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<QuayTransport>().CreatePrimaryHandler());
        http.AddStandardResilienceHandler(resilience =>
        {
            // user/initialize and organization creation are not idempotent: only reads are retried.
            resilience.Retry.DisableForUnsafeHttpMethods();
            resilience.Retry.MaxRetryAttempts = Math.Max(1, options.ReadRetries);
            resilience.Retry.Delay = TimeSpan.FromMilliseconds(500);
            resilience.AttemptTimeout.Timeout = options.Timeout;
            resilience.TotalRequestTimeout.Timeout = options.Timeout * (options.ReadRetries + 2);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, options.Timeout.Ticks * 2));
        })
        .Configure(QuayResilienceLog.Configure)
        .SelectPipelineByAuthority(); // one registry's failing Quay must not trip the breaker for the others
        builder.Services.Configure<Polly.Telemetry.TelemetryOptions>(QuayResilienceLog.LowerPollySeverity);
        return builder;
    }

    public static IEndpointRouteBuilder MapQuay(this IEndpointRouteBuilder app)
    {
        // Every call here needs an Available registry and may meet Quay's refusals (passed through with their status),
        // a Quay that fails or cannot be reached (502) or times out (504), and a token Quay no longer accepts.
        var group = app.MapGroup("/v1/registries/{id:guid}/quay").WithTags("Quay").RequireAuthorization(Scopes.QuayAdmin)
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemTypes.QuayRejected)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.QuayRejected)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemTypes.QuayRejected)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.RegistryNotAvailable, ProblemTypes.QuayRejected, ProblemTypes.QuayTokenExpired,
                ProblemTypes.QuayCredentialsExpired)
            .ProducesProblems(StatusCodes.Status502BadGateway, ProblemTypes.QuayError, ProblemTypes.QuayUnreachable, ProblemTypes.QuayDestinationRefused)
            .ProducesProblems(StatusCodes.Status504GatewayTimeout, ProblemTypes.QuayTimeout);
        string[] storedToken = [ProblemTypes.QuayTokenMissing, ProblemTypes.QuayTokenLost];

        group.MapPost("/initialize", InitializeQuayUser.HandleAsync)
            .WithName("InitializeQuayUser")
            .WithSummary("Create Quay's first user and get its token")
            .WithDescription("Calls Quay's /api/v1/user/initialize with access_token: true once the registry is Available. The token is " +
                             "stored encrypted before this answers, and this 201 is the only answer that ever shows it. Quay's rules are " +
                             "checked first (400 with Quay's message). 409 when Quay has FEATURE_USER_INITIALIZE off, already has users, " +
                             "or an earlier call's answer was lost (quay-token-lost). 502 when Quay cannot be reached, 504 when it times out; " +
                             "the call is never retried automatically.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.QuayUserInitializeDisabled, ProblemTypes.QuayAlreadyInitialized,
                ProblemTypes.QuayTokenLost, ProblemTypes.ChangeInProgress, ProblemTypes.QuayInitializeUnconfirmed)
            .WithRequestExample(InitializeQuayUser.Example);

        group.MapGet("/users", ListQuayUsers.HandleAsync)
            .WithName("ListQuayUsers")
            .WithSummary("Quay's users")
            .WithDescription("Quay's superuser list of users (GET /api/v1/superuser/users/), read with the stored token and passed through. " +
                             "409 quay-token-missing or quay-token-expired when the gateway has no usable token.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken)
            .ProducesContent(StatusCodes.Status200OK, "application/json", typeof(QuayUserList), "Quay's answer, as Quay sent it.");

        group.MapPost("/organizations", QuayOrganizationsApi.CreateAsync)
            .WithName("CreateQuayOrganization")
            .WithSummary("Create a Quay organization")
            .WithDescription("Creates the organization with the stored token (POST /api/v1/organization/), records it in the timeline and " +
                             "announces quay.organization_created (201). When the gateway's user has it already, the answer is 200 with the " +
                             "e-mail Quay keeps, or 409 quay-organization-exists naming that e-mail when the request asked for another one: " +
                             "an existing organization's e-mail is never changed, and the answer never shows an e-mail Quay did not store. " +
                             "Quay's refusals come back as problems naming Quay's status and message.")
            .ProducesProblems(StatusCodes.Status409Conflict, [.. storedToken, ProblemTypes.QuayOrganizationExists])
            .WithRequestExample(QuayOrganizationsApi.Example);

        group.MapGet("/organizations/{org}", QuayOrganizationsApi.GetAsync)
            .WithName("GetQuayOrganization")
            .WithSummary("A Quay organization")
            .WithDescription("Quay's view of the organization (GET /api/v1/organization/{org}), passed through.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken)
            .ProducesContent(StatusCodes.Status200OK, "application/json", typeof(QuayOrganization), "Quay's answer, as Quay sent it.");
        group.MapGet("/credentials", QuayCredentialsApi.GetAsync)
            .WithName("GetQuayCredentials")
            .WithSummary("The stored Quay credentials, without the secret")
            .WithDescription("What the gateway acts with in this registry's Quay: kind (minted, supplied or initialize), the user, scopes, " +
                             "expiresAt, lastUsedAt, lastError and whether the gateway can mint a new token by itself (renewable). " +
                             "Quay does not disclose a token's scopes or expiry to its bearer. For a supplied token, scopes is therefore a " +
                             "verified lower bound (scopesBasis verified-lower-bound): the scopes Quay's answer to GET /api/v1/user/ with the " +
                             "token proves (user:read or user:admin, super:user, org:admin), with the rest in unverifiedScopes; expiresAt is " +
                             "null and expiresAtUnknownReason says why. Minted and initialize tokens show what Quay granted (scopesBasis " +
                             "granted). Never the token or a password. 409 quay-token-missing when none is stored.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken);

        group.MapPut("/credentials", QuayCredentialsApi.PutAsync)
            .WithName("PutQuayCredentials")
            .WithSummary("Supply Quay credentials")
            .WithDescription("{\"token\"}: a Quay OAuth token (for example from Organization → Applications → Generate Token), checked " +
                             "against Quay's GET /api/v1/user/; that answer is also what proves its scopes (a lower bound, see GET), since " +
                             "Quay says nothing else of a token's scopes or expiry. A token without user:read or user:admin cannot be " +
                             "checked this way (Quay answers 401) and is refused. {\"username\",\"password\"}: the gateway mints a 10-year token of its " +
                             "automation organization's application with them. Either is checked before it is stored: 422 " +
                             "quay-credentials-invalid with Quay's answer when Quay refuses. The password is kept (encrypted) for " +
                             "renewals only when Gateway:Quay:KeepBootstrapPassword is on.")
            .ProducesProblems(StatusCodes.Status422UnprocessableEntity, ProblemTypes.QuayCredentialsInvalid)
            .WithRequestExample(QuayCredentialsApi.Example);

        QuayOrganizationResourcesApi.Map(group, storedToken);
        return app;
    }
}
