using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Persistence;

/// <summary>
/// The create's writer: a batch of new rows goes to PostgreSQL as one statement without the change tracker, and the
/// writer is refused at startup when the model maps columns it would leave out.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NewRowsTests(GatewayFixture gateway)
{
    private const string Tenant = "new-rows-tests";

    private static Registry NewRegistry(string? name = null, DateTimeOffset? createdAt = null) => new()
    {
        Tenant = Tenant, Cluster = "nowhere", Namespace = "new-rows", Name = name ?? "r-" + Guid.NewGuid().ToString("N")[..10],
        Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
        CreatedAt = createdAt ?? DateTimeOffset.UtcNow,
    };

    private static readonly DateTimeOffset FixedTime = new DateTimeOffset(2026, 12, 7, 10, 11, 12, TimeSpan.Zero).AddTicks(1234567);

    private NewRowsWriter Writer => gateway.Host.Services.GetRequiredService<NewRowsWriter>();

    private static NewRowBatch Accepted(Registry registry, string? message = null)
    {
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Accepted, "RequestAccepted", message ?? "Accepted.", registry.CreatedAt);
        return rows;
    }

    [Fact]
    public async Task The_rows_are_written_together_and_never_tracked()
    {
        var registry = NewRegistry();
        var rows = Accepted(registry);
        rows.EnqueueJob(RegistryJobs.Apply(registry.Id));
        Assert.True(rows.IsNew(registry));
        var written = await gateway.WithDbAsync(async db =>
        {
            var xmin = await Writer.InsertAsync(db, rows, CancellationToken.None);
            Assert.Empty(db.ChangeTracker.Entries());
            return xmin;
        });

        var (stored, timeline, events) = await gateway.WithDbAsync(async db => (
            await db.Registries.AsNoTracking().SingleAsync(r => r.Id == registry.Id),
            await db.RegistryEvents.Where(e => e.RegistryId == registry.Id).Select(e => e.State).ToListAsync(),
            await db.WebhookEvents.CountAsync(e => e.RegistryId == registry.Id)));
        Assert.Equal(registry.Name, stored.Name);
        // The insert's answer is the stored row's version (its xmin), with no read after it.
        Assert.Equal(stored.Version, written);
        Assert.NotEqual(0u, stored.Version);
        Assert.Equal([RegistryState.Accepted], timeline); // a new registry's first state is recorded though it is the default
        Assert.Equal(1, events);
        Assert.Single(rows.Rows.OfType<OutboxJob>()); // the apply job and the webhook dispatcher share one outbox row
    }

    [Fact]
    public async Task Each_unit_of_work_writes_its_own_values_through_the_reused_statement()
    {
        // Same shape, so the same statement and (one after the other) the same command and parameters.
        var first = NewRegistry();
        first.Spec = first.Spec with { Labels = new Dictionary<string, string> { ["team"] = "payments" } };
        var second = NewRegistry();
        second.ProtectedSecrets = "protected";
        foreach (var registry in new[] { first, second })
        {
            await gateway.WithDbAsync(async db =>
            {
                await Writer.InsertAsync(db, Accepted(registry, $"Accepted {registry.Name}."), CancellationToken.None);
                return 0;
            });
        }

        foreach (var registry in new[] { first, second })
        {
            var (stored, message) = await gateway.WithDbAsync(async db => (
                await db.Registries.AsNoTracking().SingleAsync(r => r.Id == registry.Id),
                await db.RegistryEvents.Where(e => e.RegistryId == registry.Id).Select(e => e.Message).SingleAsync()));
            Assert.Equal(registry.Name, stored.Name);
            Assert.Equal(registry.Spec.Labels, stored.Spec.Labels);
            Assert.Equal(registry.ProtectedSecrets, stored.ProtectedSecrets);
            Assert.Equal($"Accepted {registry.Name}.", message);
        }
    }

    [Fact]
    public async Task A_group_is_checked_and_written_by_one_statement_with_each_members_values_and_answer()
    {
        // A guard of the same shape as the create's: a lock first, then a check answering a row per member. Members whose
        // name starts with "skip" are refused. The test holds the lock, so the writers wait with one insert each and the
        // rest queue up: they are written as a group (or two) when it lets go.
        var key = "new-rows-group-" + Guid.NewGuid().ToString("N");
        var members = Enumerable.Range(0, NewRowsWriter.GroupWriters + 7)
            .Select(i => Filled(NewRegistry((i % 4 == 3 ? "skip-" : "r-") + Guid.NewGuid().ToString("N")[..10], FixedTime), full: i % 2 == 0))
            .ToList();
        InsertGuard Guard(Registry registry) => new(
            "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", [key],
            "SELECT NOT starts_with($1, 'skip') AS admit, $1::text AS name", [registry.Name],
            GroupKey: key,
            GroupBefore: "SELECT (SELECT count(pg_advisory_xact_lock_shared(hashtextextended(k, 0))) FROM unnest($1::text[]) k)",
            GroupCheck: "SELECT NOT starts_with(v1, 'skip') AS admit, v1 AS name, ord FROM members");
        Task<(string Name, uint? Version)> InsertAsync(Registry registry) => gateway.WithDbAsync(db => Writer.InsertIfAsync(
            db, Accepted(registry, $"Accepted {registry.Name}."), Guard(registry), reader => reader.GetString(1), CancellationToken.None));
        var wholeGroups = Writer.WholeGroupsWritten;

        var inserts = new List<Task<(string Name, uint? Version)>>();
        await using (var holder = new NpgsqlConnection(gateway.ConnectionString))
        {
            await holder.OpenAsync();
            await using var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended($1, 0))", holder) { Parameters = { new() { Value = key } } };
            await take.ExecuteNonQueryAsync();
            foreach (var (registry, i) in members.Select((m, i) => (m, i)))
            {
                inserts.Add(InsertAsync(registry));
                // The first ones, one per writer, until a writer took each; the rest until all are queued.
                var queued = i < NewRowsWriter.GroupWriters ? 0 : i + 1 - NewRowsWriter.GroupWriters;
                Assert.Equal(queued, await GatewayFixture.EventuallyAsync(() => Task.FromResult(Writer.QueuedFor(key)), q => q == queued));
            }

            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended($1, 0))", holder) { Parameters = { new() { Value = key } } };
            await release.ExecuteNonQueryAsync();
        }

        var answers = await Task.WhenAll(inserts);

        Assert.True(Writer.WholeGroupsWritten > wholeGroups, "no group was written as one statement");
        // Each member gets its own check's answer, and a version only when admitted: all those of one group share it.
        Assert.Equal(members.Select(m => m.Name), answers.Select(a => a.Name));
        Assert.All(members.Zip(answers), pair => Assert.Equal(!pair.First.Name.StartsWith("skip", StringComparison.Ordinal), pair.Second.Version is not null));
        Assert.InRange(answers.Where(a => a.Version is not null).Select(a => a.Version).Distinct().Count(), 1, NewRowsWriter.GroupWriters + 2);
        // Every column as the one-row statement writes it: each admitted member against a twin written alone.
        foreach (var registry in members)
        {
            var twin = Filled(NewRegistry(createdAt: FixedTime), full: registry.ProtectedSecrets is not null);
            await gateway.WithDbAsync(db => Writer.InsertAsync(db, Accepted(twin, $"Accepted {registry.Name}."), CancellationToken.None));
            var (stored, storedTwin) = await gateway.WithDbAsync(async db => (await RowAsync(db, registry.Id), await RowAsync(db, twin.Id)));
            if (registry.Name.StartsWith("skip", StringComparison.Ordinal))
            {
                Assert.Null(stored);
            }
            else
            {
                Assert.NotNull(stored);
                Assert.Equal(storedTwin, stored);
            }
        }
    }

    /// <summary>A registry's row and its timeline entries, as JSON without the keys (and the writing transaction), or null when it was not written.</summary>
    private static Task<string?> RowAsync(GatewayDb db, Guid id) => db.Database.SqlQuery<string?>($"""
        SELECT (SELECT (to_jsonb(r) - 'id' - 'name')::text FROM gateway.registries r WHERE r.id = {id})
               || (SELECT jsonb_agg(to_jsonb(e) - 'id' - 'registry_id' - 'xact_id')::text FROM gateway.registry_events e WHERE e.registry_id = {id}) AS "Value"
        """).SingleAsync();

    /// <summary>Sets every column the same way for a given <paramref name="full"/>: all of them, or the nullable ones null.</summary>
    private static Registry Filled(Registry registry, bool full)
    {
        var at = FixedTime;
        registry.UpdatedAt = at.AddMinutes(1);
        if (full)
        {
            registry.State = RegistryState.Applying;
            registry.Health = RegistryHealth.Healthy;
            registry.Spec = registry.Spec with { Labels = new Dictionary<string, string> { ["team"] = "payments" }, ConfigBundleSecret = "bundle" };
            registry.ProtectedSecrets = "protected";
            registry.Generation = 7;
            registry.ObservedGeneration = 6;
            registry.RegistryEndpoint = "https://quay.example";
            registry.CurrentVersion = "3.12.1";
            registry.Conditions = [new RegistryCondition("Available", "True", "Ready", "Ready.", at)];
            registry.HealthCauses = [new HealthCause("quay", "Degraded", "Slow.")];
            registry.SpecVersion = 3;
            registry.AppliedSpecVersion = 2;
            registry.NamespaceCreated = true;
            registry.OperatorStatus = """{"currentVersion": "3.12.1"}""";
            registry.AvailableAt = at.AddHours(1);
            registry.RolloutDeadline = at.AddHours(2);
        }

        return registry;
    }

    [Fact]
    public async Task A_refused_statement_writes_nothing()
    {
        var first = NewRegistry();
        var duplicate = NewRegistry(first.Name);
        await gateway.WithDbAsync(async db =>
        {
            await Writer.InsertAsync(db, Accepted(first), CancellationToken.None);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Writer.InsertAsync(db, Accepted(duplicate), CancellationToken.None));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
            return 0;
        });

        Assert.Equal(0, await gateway.WithDbAsync(db => db.RegistryEvents.CountAsync(e => e.RegistryId == duplicate.Id)));
    }

    [Fact]
    public async Task Rows_of_a_type_it_was_not_made_for_are_refused()
    {
        var rows = new NewRowBatch();
        rows.Add(new WebhookSubscription { Tenant = Tenant, Url = "https://example.com/hook", Kind = WebhookKinds.Standard, Events = [], ProtectedSecret = "x" });

        var error = await gateway.WithDbAsync(db => Assert.ThrowsAsync<InvalidOperationException>(() => Writer.InsertAsync(db, rows, CancellationToken.None)));

        Assert.Contains(nameof(WebhookSubscription), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_gateway_model_passes_the_startup_check()
    {
        using var scope = gateway.Host.Services.CreateScope();
        var model = scope.ServiceProvider.GetRequiredService<GatewayDb>().Model;

        foreach (var type in new[] { typeof(Registry), typeof(RegistryEvent), typeof(IdempotencyRecord), typeof(WebhookEvent), typeof(OutboxJob) })
        {
            NewRowsWriter.Verify(model, type);
        }
    }

    [Theory]
    [InlineData(typeof(WithOwnedType))]
    [InlineData(typeof(WithComplexProperty))]
    public void A_model_with_columns_the_writer_would_leave_out_fails_the_startup_check(Type contextType)
    {
        using var context = (DbContext)Activator.CreateInstance(contextType)!;

        var error = Assert.Throws<InvalidOperationException>(() => NewRowsWriter.Verify(context.Model, typeof(Row)));

        Assert.Contains("address", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    public sealed class Row
    {
        public Guid Id { get; set; }
        public string Name { get; set; } = "";
        public Address Address { get; set; } = new();
    }

    public sealed class Address
    {
        public string Street { get; set; } = "";
    }

    // Models only: nothing connects, so a connection string that names no server is enough.
    private sealed class WithOwnedType : DbContext
    {
        protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseNpgsql("Host=unused");
        protected override void OnModelCreating(ModelBuilder model) => model.Entity<Row>().OwnsOne(r => r.Address);
    }

    private sealed class WithComplexProperty : DbContext
    {
        protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseNpgsql("Host=unused");
        protected override void OnModelCreating(ModelBuilder model) => model.Entity<Row>().ComplexProperty(r => r.Address);
    }
}
