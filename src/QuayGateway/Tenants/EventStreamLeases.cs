using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;
using QuayGateway.Persistence;

namespace QuayGateway.Tenants;

/// <summary>
/// One open event stream of a tenant, on any replica. A stream renews its lease while it is open and removes it when it
/// ends; a replica that dies leaves leases that lapse after <see cref="EventStreamLeases.Lifetime"/>.
/// </summary>
public sealed class EventStreamLease
{
    public Guid Id { get; init; } = Uuid7.New();
    public required string Tenant { get; init; }
    public DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class EventStreamLeaseConfiguration : IEntityTypeConfiguration<EventStreamLease>
{
    public void Configure(EntityTypeBuilder<EventStreamLease> builder)
    {
        builder.ToTable("event_stream_leases");
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Tenant).HasMaxLength(63);
        builder.HasIndex(l => new { l.Tenant, l.ExpiresAt });
    }
}

/// <summary>
/// Counts open event streams against a tenant's <c>eventStreams</c> quota across replicas: a stream takes a lease
/// row (checked and inserted under a per-tenant transaction lock, so two streams cannot take the last slot together).
/// A tenant without that quota takes no lease and costs nothing. The replica renews all its open leases in one
/// statement every <see cref="RenewEvery"/>, not a timer and an UPDATE per stream: 2,000 open portal tabs cost one
/// query every 20 s, not 100 a second.
/// </summary>
public sealed class EventStreamLeases(TenantPolicies policies, NpgsqlDataSource database, ILogger<EventStreamLeases> logger) : BackgroundService
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<Guid, byte> _open = new();

    /// <summary>A lease for one stream of <paramref name="tenant"/>, or the problem to answer when its quota is used up.</summary>
    public async Task<(IAsyncDisposable? Lease, ProblemHttpResult? Refusal)> OpenAsync(string tenant, CancellationToken ct)
    {
        if ((await policies.ForTenantAsync(tenant, ct))?.Quotas.EventStreams is not { } quota)
        {
            return (null, null);
        }

        // One round trip, one implicit transaction (a batch runs as one): the tenant's lock is held for the statements'
        // time in PostgreSQL, not across round trips, so 2,000 tabs reconnecting at once do not queue behind each other's
        // network and scheduling delays (each waiting open holds a pooled connection).
        var id = Uuid7.New();
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended('tenant-event-streams:' || $1, 0))") { Parameters = { new() { Value = tenant } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM gateway.event_stream_leases WHERE tenant = $1 AND expires_at < now()") { Parameters = { new() { Value = tenant } } });
        var insert = new NpgsqlBatchCommand(
            """
            INSERT INTO gateway.event_stream_leases (id, tenant, expires_at)
            SELECT $1, $2, now() + $3 WHERE (SELECT count(*) FROM gateway.event_stream_leases WHERE tenant = $2) < $4
            """)
        {
            Parameters = { new() { Value = id }, new() { Value = tenant }, new() { Value = Lifetime }, new() { Value = (long)quota } },
        };
        batch.BatchCommands.Add(insert);
        await batch.ExecuteNonQueryAsync(ct);
        if (insert.RecordsAffected == 0)
        {
            return (null, TenantPolicies.QuotaExceeded("eventStreams", quota, "open event streams"));
        }

        _open[id] = 0;
        return (new Lease(id, this), null);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RenewEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RenewAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>Extends every lease this replica holds open, in one statement.</summary>
    private async Task RenewAsync(CancellationToken ct)
    {
        var ids = _open.Keys.ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        try
        {
            await using var command = database.CreateCommand("UPDATE gateway.event_stream_leases SET expires_at = now() + $1 WHERE id = ANY($2)");
            command.Parameters.Add(new NpgsqlParameter { Value = Lifetime });
            command.Parameters.Add(new NpgsqlParameter { Value = ids });
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException e)
        {
            // The next renewal tries again; a lease that lapses meanwhile only frees a slot early.
            logger.LogWarning("Could not renew {Count} event stream leases: {Message}", ids.Length, e.Message);
        }
    }

    private async ValueTask CloseAsync(Guid id)
    {
        _open.TryRemove(id, out _);
        try
        {
            await using var command = database.CreateCommand("DELETE FROM gateway.event_stream_leases WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The lease lapses on its own.
        }
    }

    private sealed class Lease(Guid id, EventStreamLeases leases) : IAsyncDisposable
    {
        private int _closed;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _closed, 1) == 0 ? leases.CloseAsync(id) : ValueTask.CompletedTask;
    }
}
