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
/// A tenant without that quota takes no lease and costs nothing.
/// </summary>
public sealed class EventStreamLeases(TenantPolicies policies, NpgsqlDataSource database, ILogger<EventStreamLeases> logger)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(20);

    /// <summary>A lease for one stream of <paramref name="tenant"/>, or the problem to answer when its quota is used up.</summary>
    public async Task<(IAsyncDisposable? Lease, ProblemHttpResult? Refusal)> OpenAsync(string tenant, CancellationToken ct)
    {
        if ((await policies.ForTenantAsync(tenant, ct))?.Quotas.EventStreams is not { } quota)
        {
            return (null, null);
        }

        var id = Uuid7.New();
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand(
                         """
                         SELECT pg_advisory_xact_lock(hashtextextended('tenant-event-streams:' || @tenant, 0));
                         DELETE FROM gateway.event_stream_leases WHERE tenant = @tenant AND expires_at < now();
                         """, connection, transaction))
        {
            command.Parameters.AddWithValue("tenant", tenant);
            await command.ExecuteNonQueryAsync(ct);
        }

        await using (var count = new NpgsqlCommand("SELECT count(*) FROM gateway.event_stream_leases WHERE tenant = @tenant", connection, transaction))
        {
            count.Parameters.AddWithValue("tenant", tenant);
            if ((long)(await count.ExecuteScalarAsync(ct))! >= quota)
            {
                return (null, TenantPolicies.QuotaExceeded("eventStreams", quota, "open event streams"));
            }
        }

        await using (var insert = new NpgsqlCommand(
                         "INSERT INTO gateway.event_stream_leases (id, tenant, expires_at) VALUES (@id, @tenant, now() + @lifetime)", connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", tenant);
            insert.Parameters.AddWithValue("lifetime", Lifetime);
            await insert.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return (new Lease(id, database, logger), null);
    }

    private sealed class Lease : IAsyncDisposable
    {
        private readonly Guid _id;
        private readonly NpgsqlDataSource _database;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;

        public Lease(Guid id, NpgsqlDataSource database, ILogger logger)
        {
            (_id, _database) = (id, database);
            _renewing = RenewAsync(logger);
        }

        private async Task RenewAsync(ILogger logger)
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(RenewEvery, _stop.Token);
                    await using var command = _database.CreateCommand("UPDATE gateway.event_stream_leases SET expires_at = now() + $1 WHERE id = $2");
                    command.Parameters.Add(new NpgsqlParameter { Value = Lifetime });
                    command.Parameters.Add(new NpgsqlParameter { Value = _id });
                    await command.ExecuteNonQueryAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (NpgsqlException e)
                {
                    // The next renewal tries again; a lease that lapses meanwhile only frees a slot early.
                    logger.LogWarning("Could not renew event stream lease {LeaseId}: {Message}", _id, e.Message);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewing;
            _stop.Dispose();
            try
            {
                await using var command = _database.CreateCommand("DELETE FROM gateway.event_stream_leases WHERE id = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = _id });
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The lease lapses on its own.
            }
        }
    }
}
