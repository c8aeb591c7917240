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

    private static Registry NewRegistry(string? name = null) => new()
    {
        Tenant = Tenant, Cluster = "nowhere", Namespace = "new-rows", Name = name ?? "r-" + Guid.NewGuid().ToString("N")[..10],
        Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
    };

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
