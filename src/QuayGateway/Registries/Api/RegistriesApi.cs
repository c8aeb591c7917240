using System.Diagnostics.Metrics;
using Npgsql;
using QuayGateway.Audit;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Registries.Api;

public static class RegistriesApi
{
    public const string GetRouteName = "GetRegistry";

    public static string Location(Guid id) => $"/v1/registries/{id}";

    public static WebApplicationBuilder AddRegistries(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.Section);
        builder.DocumentValues<ComponentSpec>(nameof(ComponentSpec.Kind), QuayComponents.Kinds)
            .DocumentValues<ComponentView>(nameof(ComponentView.Kind), QuayComponents.Kinds)
            .DocumentValues<QuayRegistryObjectComponent>(nameof(QuayRegistryObjectComponent.Kind), QuayComponents.Kinds)
            .DocumentValues<TeamSpec>(nameof(TeamSpec.Role), OrganizationResourceRules.TeamRoles)
            .DocumentValues<FleetStatusResponse>(nameof(FleetStatusResponse.ByState), GetFleetStatus.CountedStates.Select(s => s.ToString()),
                state => $"How many registries are in state `{state}`.")
            .DocumentValues<FleetStatusResponse>(nameof(FleetStatusResponse.ByHealth), GetFleetStatus.CountedHealth.Select(h => h.ToString()),
                health => $"How many registries have health `{health}`.")
            .DocumentRegistryExamples();
        builder.Services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section);
        builder.Services.AddSingleton<RegistryReader>();
        // The timeline pushed to this replica's event streams, woken by the replica's one LISTEN connection.
        builder.Services.AddDatabaseNotificationHandler<TimelineFeed>();
        builder.Services.AddHostedService(s => s.GetRequiredService<TimelineFeed>());
        // Committed timeline entries are announced to every replica's feed after the commit, not inside it.
        builder.Services.AddSingleton<TimelineAnnouncer>();
        builder.Services.AddHostedService(s => s.GetRequiredService<TimelineAnnouncer>());
        builder.Services.AddCommitSignal<RegistryEvent>(s => s.GetRequiredService<TimelineAnnouncer>().Announce);
        // The create's writer, for exactly the rows a create adds; made (and checked against the model) at startup.
        builder.Services.AddSingleton(services =>
        {
            using var scope = services.CreateScope();
            return new NewRowsWriter(scope.ServiceProvider.GetRequiredService<GatewayDb>().Model,
                services.GetRequiredService<NpgsqlDataSource>(), services.GetService<IMeterFactory>()?.Create(TelemetrySetup.MeterName),
                typeof(Registry), typeof(RegistryEvent), typeof(IdempotencyRecord), typeof(WebhookEvent), typeof(OutboxJob), typeof(AuditEntry));
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapRegistries(this IEndpointRouteBuilder app)
    {
        _ = app.ServiceProvider.GetRequiredService<NewRowsWriter>(); // fails the start if it could not write a create whole
        var group = app.MapGroup("/v1/registries").WithTags("Registries");

        group.MapPost("/", CreateRegistry.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesWrite)
            .WithName("CreateRegistry")
            .WithSummary("Request a Quay registry")
            .WithDescription("Validates and stores the request, then applies the namespace, config-bundle Secret and QuayRegistry " +
                             "in the target cluster through a background job. Answers 202 with Location. An Idempotency-Key " +
                             "replays the first answer for the same body and gives 409 for a different body. A second registry " +
                             "with the same cluster, namespace and name gives 409.")
            .WithResponseHeader(StatusCodes.Status202Accepted, "ETag", "The new registry's version, as GET returns it until the registry changes (on an idempotent replay, its current version).")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.AlreadyExists, ProblemTypes.IdempotencyKeyReused)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.TenantNotConfigured, ProblemTypes.ClusterNotAllowed, ProblemTypes.NamespaceNotAllowed, ProblemTypes.QuotaExceeded)
            .WithRequestExample(CreateRegistry.Example);

        group.MapGet("/", ListRegistries.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("ListRegistries")
            .WithSummary("List registries")
            .WithDescription("The tenant's registries, newest first. Filter by state, cluster and namespace; page with limit and the returned nextCursor.");

        group.MapGet("/{id:guid}", GetRegistry.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName(GetRouteName)
            .WithSummary("Get a registry")
            .WithDescription("One registry with its state, health and conditions. The ETag header supports If-None-Match (and If-Match on PATCH).")
            .Produces(StatusCodes.Status304NotModified)
            .WithResponseHeader(StatusCodes.Status200OK, "ETag", "The registry's version, for If-None-Match here and If-Match on PATCH and DELETE.")
            .WithResponseHeader(StatusCodes.Status304NotModified, "ETag", "The registry's version, unchanged.");

        group.MapPatch("/{id:guid}", ChangeRegistry.PatchAsync)
            .RequireAuthorization(Scopes.RegistriesWrite)
            .WithName("PatchRegistry")
            .WithSummary("Change components, config or labels")
            .WithDescription("Replaces the given fields (components, configBundle or configBundleSecret, labels), validates the result like a create " +
                             "and rolls out a new generation. Send If-Match with the ETag: a stale one answers 412. A change while another runs answers 409.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.InvalidState, ProblemTypes.ChangeInProgress)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.TenantNotConfigured, ProblemTypes.ClusterNotAllowed, ProblemTypes.NamespaceNotAllowed)
            .WithRequestExample(ChangeRegistry.PatchExample);

        group.MapDelete("/{id:guid}", ChangeRegistry.DeleteAsync)
            .RequireAuthorization(Scopes.RegistriesWrite)
            .WithName("DeleteRegistry")
            .WithSummary("Deprovision a registry")
            .WithDescription("Deletes the QuayRegistry, waits until the operator has removed it, deletes the config-bundle Secret the gateway created, " +
                             "and the namespace only if the gateway created it and no other registry is in it. State goes Deleting, then Deleted.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.InvalidState, ProblemTypes.ChangeInProgress);

        group.MapPost("/{id:guid}/retry", ChangeRegistry.RetryAsync)
            .RequireAuthorization(Scopes.RegistriesWrite)
            .WithName("RetryRegistry")
            .WithSummary("Retry a failed or blocked rollout")
            .WithDescription("Re-applies the registry (and re-runs a failed bootstrap step). Only for Failed or Blocked registries; otherwise 409.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.InvalidState)
            .ProducesProblems(StatusCodes.Status412PreconditionFailed, ProblemTypes.PreconditionFailed);

        group.MapGet("/{id:guid}/status", GetRegistryStatus.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("GetRegistryStatus")
            .WithSummary("Aggregated status")
            .WithDescription("The operator's conditions verbatim, the unhealthy components, registryEndpoint, currentVersion, configEditorEndpoint " +
                             "where the operator reports one, lastUpdated, and the rollout timing (startedAt, availableAt, durationSeconds, deadline).");

        group.MapGet("/{id:guid}/components", GetRegistryComponents.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("GetRegistryComponents")
            .WithSummary("Component health")
            .WithDescription("Per component kind: managed or not, its ready condition, its pods (READY, STATUS, RESTARTS, AGE as oc get pods), " +
                             "its jobs and its HPA (targets, min/max, replicas as oc get hpa), read live from the cluster.");

        group.MapGet("/{id:guid}/manifest", GetRegistryManifest.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("GetRegistryManifest")
            .WithSummary("The QuayRegistry as applied and as live")
            .WithDescription("The object the gateway applied and the live object from the cluster (with the operator's write-backs and status). " +
                             "?format=yaml returns both as a YAML stream.")
            .ProducesContent(StatusCodes.Status200OK, "application/yaml", typeof(string),
                "With ?format=yaml: two YAML documents, as applied and as live (each 'null' when absent).")
            .ProducesProblems(StatusCodes.Status502BadGateway, ProblemTypes.ClusterUnavailable);

        group.MapGet("/{id:guid}/events", ListRegistryEvents.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.QuotaExceeded)
            .WithName("GetRegistryEvents")
            .WithSummary("Timeline")
            .WithDescription("State changes, condition transitions, drift and bootstrap steps, oldest first in commit order; filter by type; page with limit " +
                             "and the returned nextCursor (null on the last page). With Accept: text/event-stream, a live Server-Sent Events " +
                             "stream: the whole timeline, then each entry as it commits (resumable with Last-Event-ID, or start after an id with after).")
            .ProducesContent(StatusCodes.Status200OK, "text/event-stream", typeof(string),
                "With Accept: text/event-stream: one event per timeline entry (id: its id, event: its type, data: the entry as JSON), " +
                "and ': keep-alive' comments; the stream stays open.");

        app.MapGet("/v1/events", ListFleetEvents.HandleAsync)
            .WithTags("Registries")
            .RequireAuthorization(Scopes.RegistriesRead)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.QuotaExceeded)
            .WithName("GetFleetEvents")
            .WithSummary("Fleet timeline")
            .WithDescription("The timeline of all the tenant's registries, each entry with its registryId and registryName, oldest first in " +
                             "commit order; filter by registry, type and state; page with limit and nextCursor (null on the last page). With " +
                             "Accept: text/event-stream, a live Server-Sent Events stream of what commits from now on (or after the event id " +
                             "given as after), resumable with Last-Event-ID. The ids are those of the per-registry timeline; no entry is " +
                             "skipped or sent twice.")
            .ProducesContent(StatusCodes.Status200OK, "text/event-stream", typeof(string),
                "With Accept: text/event-stream: one event per timeline entry (id: its id, event: its type, data: the entry as JSON), " +
                "and ': keep-alive' comments; the stream stays open.");

        app.MapGet("/v1/status", GetFleetStatus.HandleAsync)
            .WithTags("Registries")
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("GetFleetStatus")
            .WithSummary("Fleet summary")
            .WithDescription("Counts of the tenant's registries by state and by health, and the registries that need attention.");
        return app;
    }
}
