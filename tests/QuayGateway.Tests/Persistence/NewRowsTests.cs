using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Registries;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Persistence;

/// <summary>
/// An insert-only unit of work (a create): rows go to one statement without the change tracker, and the tracker's own
/// unit of work cannot lose them or inherit them.
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

    [Fact]
    public async Task The_rows_are_written_together_and_never_tracked()
    {
        var registry = NewRegistry();
        await gateway.WithDbAsync(async db =>
        {
            db.BeginInsertOnly();
            db.AddNew(registry);
            db.MoveTo(registry, RegistryState.Accepted, "RequestAccepted", "Accepted.", registry.CreatedAt);
            Assert.Empty(db.ChangeTracker.Entries());
            Assert.True(db.IsAdded(registry));

            await db.InsertNewRowsAsync(CancellationToken.None);
            Assert.Empty(db.ChangeTracker.Entries());
            return 0;
        });

        var (stored, timeline, events) = await gateway.WithDbAsync(async db => (
            await db.Registries.AsNoTracking().SingleAsync(r => r.Id == registry.Id),
            await db.RegistryEvents.Where(e => e.RegistryId == registry.Id).Select(e => e.State).ToListAsync(),
            await db.WebhookEvents.CountAsync(e => e.RegistryId == registry.Id)));
        Assert.Equal(registry.Name, stored.Name);
        Assert.Equal([RegistryState.Accepted], timeline); // a new registry's first state is recorded though it is the default
        Assert.Equal(1, events);
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
                db.BeginInsertOnly();
                db.AddNew(registry);
                db.MoveTo(registry, RegistryState.Accepted, "RequestAccepted", $"Accepted {registry.Name}.", registry.CreatedAt);
                await db.InsertNewRowsAsync(CancellationToken.None);
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
    public async Task Saving_the_tracker_is_refused_until_the_unit_of_work_is_finished()
    {
        await gateway.WithDbAsync(async db =>
        {
            db.BeginInsertOnly();
            db.AddNew(NewRegistry());

            await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
            Assert.Throws<InvalidOperationException>(db.BeginInsertOnly);

            await db.InsertNewRowsAsync(CancellationToken.None);
            Assert.Equal(0, await db.SaveChangesAsync());
            return 0;
        });
    }

    [Fact]
    public async Task A_row_tracked_instead_of_added_is_refused_and_nothing_is_written()
    {
        var added = NewRegistry();
        var tracked = NewRegistry();
        var error = await gateway.WithDbAsync(async db =>
        {
            db.BeginInsertOnly();
            db.AddNew(added);
            db.Registries.Add(tracked);
            return await Assert.ThrowsAsync<InvalidOperationException>(() => db.InsertNewRowsAsync(CancellationToken.None));
        });

        Assert.Contains("AddNew", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Id == added.Id || r.Id == tracked.Id)));
    }

    [Fact]
    public async Task A_refused_statement_ends_the_unit_of_work_and_writes_nothing()
    {
        var first = NewRegistry();
        var duplicate = NewRegistry(first.Name);
        await gateway.WithDbAsync(async db =>
        {
            db.BeginInsertOnly();
            db.AddNew(first);
            await db.InsertNewRowsAsync(CancellationToken.None);

            db.BeginInsertOnly();
            db.AddNew(duplicate);
            db.MoveTo(duplicate, RegistryState.Accepted, "RequestAccepted", "Accepted.", duplicate.CreatedAt);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => db.InsertNewRowsAsync(CancellationToken.None));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);

            // Back to the change tracker: rows added now wait for SaveChanges.
            db.AddNew(NewRegistry());
            Assert.Single(db.ChangeTracker.Entries<Registry>());
            db.ChangeTracker.Clear();
            return 0;
        });

        Assert.Equal(0, await gateway.WithDbAsync(db => db.RegistryEvents.CountAsync(e => e.RegistryId == duplicate.Id)));
    }

    [Fact]
    public async Task A_pooled_context_comes_back_without_the_unit_of_work_it_was_given()
    {
        GatewayDb first;
        await using (var scope = gateway.Host.Services.CreateAsyncScope())
        {
            first = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            first.BeginInsertOnly();
            first.AddNew(NewRegistry()); // given up: the request failed before its insert
        }

        // The pool hands contexts out in the order they came back: rent until this one turns up again.
        var scopes = new List<AsyncServiceScope>();
        try
        {
            GatewayDb? again = null;
            for (var i = 0; i < 256 && again is null; i++)
            {
                var scope = gateway.Host.Services.CreateAsyncScope();
                scopes.Add(scope);
                var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
                again = ReferenceEquals(db, first) ? db : null;
            }

            Assert.NotNull(again);
            Assert.Equal(0, await again.SaveChangesAsync());
            again.BeginInsertOnly();
            await again.InsertNewRowsAsync(CancellationToken.None);
        }
        finally
        {
            foreach (var scope in scopes)
            {
                await scope.DisposeAsync();
            }
        }
    }
}
