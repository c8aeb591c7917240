using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Api;

/// <summary>
/// <c>GET /v1/events</c> (the tenant's timeline across registries) and the per-registry timeline, as JSON pages and as
/// SSE streams fed by the replica's one LISTEN connection, against the real PostgreSQL: paging, filters, resuming,
/// isolation, and no entry skipped when transactions commit out of id order.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class FleetEventsTests(GatewayFixture gateway)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Json_pages_follow_next_cursor_to_a_null_one_and_carry_the_registry_with_every_entry()
    {
        var (client, _) = await TenantAsync("fleet-pages");
        var first = await CreateAsync(client, "pages-a");
        var second = await CreateAsync(client, "pages-b");

        // An entry shows once no older transaction is still open (a job may be, for a moment): page until both show.
        var (seen, cursor) = await GatewayFixture.EventuallyAsync(() => PageThroughAsync(client),
            r => r.Seen.Count(e => e is { Type: TimelineEntryType.StateChanged, State: RegistryState.Accepted }) == 2);

        Assert.Null(cursor);
        Assert.Equal(seen.Count, seen.Select(e => e.Id).Distinct().Count());
        Assert.Contains(seen, e => e.RegistryId == first.Id && e.RegistryName == first.Name && e is { Type: TimelineEntryType.StateChanged, State: RegistryState.Accepted });
        Assert.Contains(seen, e => e.RegistryId == second.Id && e.RegistryName == second.Name && e is { Type: TimelineEntryType.StateChanged, State: RegistryState.Accepted });
        Assert.All(seen, e => Assert.Contains(e.RegistryId, new[] { first.Id, second.Id }));

        // The per-registry timeline is a page too, with the same ids.
        var one = await (await client.GetAsync($"/v1/registries/{first.Id}/events")).ReadAsync<TimelinePage>();
        Assert.Null(one.NextCursor);
        Assert.Contains(one.Items, e => e.Id == seen.First(s => s.RegistryId == first.Id).Id);
        Assert.All(one.Items, e => Assert.Equal(first.Name, e.RegistryName));
    }

    [Fact]
    public async Task Filters_narrow_the_fleet_timeline_and_bad_input_is_a_problem()
    {
        var (client, _) = await TenantAsync("fleet-filters");
        var first = await CreateAsync(client, "filters-a");
        var second = await CreateAsync(client, "filters-b");
        await GatewayFixture.EventuallyAsync(() => Fleet(client, $"/v1/events?registry={second.Id}&state=Applying"), p => p.Items.Count > 0);

        var ofFirst = await Fleet(client, $"/v1/events?registry={first.Id}");
        Assert.NotEmpty(ofFirst.Items);
        Assert.All(ofFirst.Items, e => Assert.Equal(first.Id, e.RegistryId));

        var accepted = await GatewayFixture.EventuallyAsync(() => Fleet(client, "/v1/events?type=StateChanged&state=Accepted"), p => p.Items.Count == 2);
        Assert.Equal([first.Id, second.Id], accepted.Items.Select(e => e.RegistryId).Order());
        Assert.All(accepted.Items, e => Assert.Equal(RegistryState.Accepted, e.State));

        var applying = await Fleet(client, $"/v1/events?registry={second.Id}&state=Applying");
        Assert.All(applying.Items, e => Assert.Equal((second.Id, RegistryState.Applying), (e.RegistryId, e.State)));
        var ofType = await GatewayFixture.EventuallyAsync(() => Fleet(client, $"/v1/registries/{first.Id}/events?type=StateChanged"), p => p.Items.Count > 0);
        Assert.NotEmpty(ofType.Items);
        Assert.All(ofType.Items, e => Assert.Equal((first.Id, TimelineEntryType.StateChanged), (e.RegistryId, e.Type)));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/events?registry={Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/events?cursor=bm90LWEtY3Vyc29y")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/events?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/events?state=Sleeping")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/v1/registries/{first.Id}/events?cursor=%21")).StatusCode);
    }

    [Theory]
    [InlineData("/v1/events?type=NoSuchType", "type", "'NoSuchType' is not one of: StateChanged, ConditionChanged,")]
    [InlineData("/v1/events?type=99", "type", "'99' is not one of: StateChanged,")]
    [InlineData("/v1/events?type=3", "type", "'3' is not one of: StateChanged,")]
    [InlineData("/v1/events?type=stateChanged", "type", "'stateChanged' is not one of: StateChanged,")]
    [InlineData("/v1/events?state=42", "state", "'42' is not one of: Accepted,")]
    [InlineData("/v1/registries/{id}/events?type=NoSuchType", "type", "'NoSuchType' is not one of: StateChanged,")]
    [InlineData("/v1/registries/{id}/events?type=99", "type", "'99' is not one of: StateChanged,")]
    public async Task An_unknown_type_or_state_filter_is_a_400_validation_problem_not_an_empty_page(string url, string field, string message)
    {
        var (client, _) = await TenantAsync("fleet-unknown-type");
        var registry = await CreateAsync(client, "unknown-type");

        // Both as a page and as a stream: the refusal comes before anything is streamed.
        foreach (var stream in new[] { false, true })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url.Replace("{id}", registry.Id.ToString()));
            if (stream)
            {
                request.Headers.Accept.ParseAdd("text/event-stream");
            }

            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.ReadObjectAsync();
            Assert.Equal(ProblemTypes.ValidationFailed, (string?)problem["type"]);
            Assert.StartsWith(message, (string?)problem["errors"]![field]![0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_fleet_stream_pushes_each_registry_from_accepted_to_ready_with_the_per_registry_ids()
    {
        var (client, _) = await TenantAsync("fleet-sse");
        await using var stream = await SseReader.OpenAsync(client, "/v1/events");
        var created = await CreateAsync(client, "sse-a");

        await stream.WaitForAsync(s => s.Any(e => e.Entry.RegistryId == created.Id && e.Entry.State == RegistryState.Ready && e.Entry.Type == TimelineEntryType.StateChanged));
        var streamed = stream.Events.Where(e => e.Entry.RegistryId == created.Id).ToList();
        Assert.Equal([RegistryState.Accepted, RegistryState.Applying, RegistryState.Progressing, RegistryState.Available, RegistryState.Ready],
            streamed.Where(e => e.Entry.Type == TimelineEntryType.StateChanged).Select(e => e.Entry.State));
        Assert.All(streamed, e => Assert.Equal((e.Entry.Id.ToString(), e.Entry.Type.ToString(), created.Name), (e.SseId, e.SseEvent, e.Entry.RegistryName)));

        var json = await (await client.GetAsync($"/v1/registries/{created.Id}/events")).ReadAsync<TimelinePage>();
        Assert.Equal(json.Items.Select(e => e.Id).Take(streamed.Count), streamed.Select(e => e.Entry.Id));
    }

    [Fact]
    public async Task Last_event_id_resumes_both_streams_right_after_that_entry()
    {
        var (client, _) = await TenantAsync("fleet-resume");
        var created = await CreateAsync(client, "resume-a");
        var timeline = await GatewayFixture.EventuallyAsync(() => Fleet(client, $"/v1/registries/{created.Id}/events"),
            p => p.Items.Any(e => e.State == RegistryState.Ready), Wait);
        var all = timeline.Items.Select(e => e.Id).ToList();
        var resumeAfter = all[1];

        foreach (var url in new[] { "/v1/events", $"/v1/registries/{created.Id}/events" })
        {
            await using var stream = await SseReader.OpenAsync(client, url, lastEventId: resumeAfter);
            await stream.WaitForAsync(s => s.Count >= all.Count - 2);
            Assert.Equal(all.Skip(2), stream.Events.Select(e => e.Entry.Id).Take(all.Count - 2));
        }

        // `after` starts a browser's first connection at a known entry; the per-registry stream starts at its first entry.
        await using (var fromAfter = await SseReader.OpenAsync(client, $"/v1/events?after={all[0]}"))
        {
            await fromAfter.WaitForAsync(s => s.Count >= all.Count - 1);
            Assert.Equal(all.Skip(1), fromAfter.Events.Select(e => e.Entry.Id).Take(all.Count - 1));
        }

        await using (var whole = await SseReader.OpenAsync(client, $"/v1/registries/{created.Id}/events"))
        {
            await whole.WaitForAsync(s => s.Count >= all.Count);
            Assert.Equal(all, whole.Events.Select(e => e.Entry.Id).Take(all.Count));
        }
    }

    [Fact]
    public async Task An_entry_committed_after_a_higher_id_is_not_skipped_by_streams_pages_or_resumes()
    {
        var (client, _) = await TenantAsync("fleet-interleave");
        var created = await CreateAsync(client, "interleave");
        // A type this registry never writes by itself (it is not deleted), so the filtered stream sees only these two.
        const TimelineEntryType type = TimelineEntryType.Deprovisioned;
        await using var fleet = await SseReader.OpenAsync(client, $"/v1/events?type={type}");
        await using var perRegistry = await SseReader.OpenAsync(client, $"/v1/registries/{created.Id}/events");

        // The earlier transaction takes the lower id, the later one the higher id and commits first.
        await using var early = new NpgsqlConnection(gateway.ConnectionString);
        await using var late = new NpgsqlConnection(gateway.ConnectionString);
        await early.OpenAsync();
        await late.OpenAsync();
        await using var earlyTx = await early.BeginTransactionAsync();
        var lowId = await InsertAsync(early, earlyTx, created.Id, type, "first");
        await using (var lateTx = await late.BeginTransactionAsync())
        {
            var highId = await InsertAsync(late, lateTx, created.Id, type, "second");
            Assert.True(highId > lowId);
            await lateTx.CommitAsync();
            await AnnounceAsync(late);
        }

        // The higher id is committed and visible, but below it an entry may still come: nobody is given it yet.
        await Task.Delay(1500);
        Assert.Empty(fleet.Events);
        Assert.Empty((await Fleet(client, $"/v1/events?type={type}")).Items);

        await earlyTx.CommitAsync();
        await AnnounceAsync(early);
        await fleet.WaitForAsync(s => s.Count >= 2);
        Assert.Equal(["first", "second"], fleet.Events.Select(e => e.Entry.Message));
        Assert.Equal(lowId, fleet.Events[0].Entry.Id);

        await perRegistry.WaitForAsync(s => s.Count(e => e.Entry.Type == type) >= 2);
        Assert.Equal(["first", "second"], perRegistry.Events.Where(e => e.Entry.Type == type).Select(e => e.Entry.Message));
        Assert.Equal(perRegistry.Events.Count, perRegistry.Events.Select(e => e.Entry.Id).Distinct().Count());

        var page = await Fleet(client, $"/v1/events?type={type}");
        Assert.Equal(["first", "second"], page.Items.Select(e => e.Message));

        // Resuming after the higher id (delivered second) delivers nothing again; after the lower one, the higher one.
        await using var resumed = await SseReader.OpenAsync(client, $"/v1/events?type={type}", lastEventId: lowId);
        await resumed.WaitForAsync(s => s.Count >= 1);
        await Task.Delay(500);
        Assert.Equal(["second"], resumed.Events.Select(e => e.Entry.Message));
    }

    [Fact]
    public async Task Many_subscribers_each_get_every_entry_once_in_the_same_order()
    {
        var (client, _) = await TenantAsync("fleet-many");
        var streams = new List<SseReader>();
        for (var i = 0; i < 40; i++)
        {
            streams.Add(await SseReader.OpenAsync(client, "/v1/events"));
        }

        try
        {
            var created = new List<Guid>();
            for (var i = 0; i < 3; i++)
            {
                created.Add((await CreateAsync(client, $"many-{i}")).Id);
            }

            foreach (var stream in streams)
            {
                await stream.WaitForAsync(s => created.All(id => s.Any(e => e.Entry.RegistryId == id && e.Entry is { Type: TimelineEntryType.StateChanged, State: RegistryState.Ready })));
            }

            var json = (await Fleet(client, "/v1/events?limit=1000")).Items.Select(e => e.Id).ToList();
            foreach (var stream in streams)
            {
                var ids = stream.Events.Select(e => e.Entry.Id).ToList();
                Assert.Equal(ids.Count, ids.Distinct().Count());
                Assert.Equal(json.Take(ids.Count), ids);
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_tenant_never_sees_another_tenants_entries_in_the_fleet_timeline()
    {
        var (a, _) = await TenantAsync("fleet-iso-a");
        var (b, _) = await TenantAsync("fleet-iso-b");
        await using var bStream = await SseReader.OpenAsync(b, "/v1/events");
        await using var aStream = await SseReader.OpenAsync(a, "/v1/events");
        var ofA = await CreateAsync(a, "iso-a");

        await aStream.WaitForAsync(s => s.Any(e => e.Entry.RegistryId == ofA.Id && e.Entry.State == RegistryState.Ready));
        Assert.Empty(bStream.Events);
        Assert.DoesNotContain(ofA.Id.ToString(), JsonSerializer.Serialize((await Fleet(b, "/v1/events")).Items), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/events?registry={ofA.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/registries/{ofA.Id}/events")).StatusCode);

        // Resuming from A's entry id gives B nothing of A's either.
        await using var resumed = await SseReader.OpenAsync(b, "/v1/events", lastEventId: aStream.Events[0].Entry.Id);
        await Task.Delay(1000);
        Assert.Empty(resumed.Events);
    }

    private static async Task<(List<TimelineEntry> Seen, string? Cursor)> PageThroughAsync(HttpClient client)
    {
        var seen = new List<TimelineEntry>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Fleet(client, "/v1/events?limit=1" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.True(page.Items.Count <= 1);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 500);

        return (seen, cursor);
    }

    private async Task<(HttpClient Client, string Tenant)> TenantAsync(string prefix)
    {
        var tenant = $"{prefix}-{Guid.NewGuid():N}"[..30];
        return (gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesRead, Scopes.RegistriesWrite)), tenant);
    }

    private static async Task<RegistryResponse> CreateAsync(HttpClient client, string name)
    {
        using var response = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest(name, $"ev-{Guid.NewGuid():N}"[..20]));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadAsync<RegistryResponse>();
    }

    private static async Task<TimelinePage> Fleet(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadAsync<TimelinePage>();
    }

    /// <summary>What every writer does after committing timeline entries (the gateway's TimelineAnnouncer).</summary>
    private static async Task AnnounceAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_notify('{TimelineFeed.Channel}', '')", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid registry, TimelineEntryType type, string message)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO gateway.registry_events (registry_id, at, type, state, message) VALUES (@r, now(), @t, 'Accepted', @m) RETURNING id",
            connection, tx);
        command.Parameters.AddWithValue("r", registry);
        command.Parameters.AddWithValue("t", type.ToString());
        command.Parameters.AddWithValue("m", message);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public sealed record Received(string? SseId, string? SseEvent, TimelineEntry Entry);

    /// <summary>An open SSE stream whose events are collected in the background.</summary>
    public sealed class SseReader : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<Received> _events = new();
        private HttpResponseMessage _response = null!;
        private Task _pump = Task.CompletedTask;

        public IReadOnlyList<Received> Events => [.. _events];

        public static async Task<SseReader> OpenAsync(HttpClient client, string url, long? lastEventId = null)
        {
            var reader = new SseReader();
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (lastEventId is { } id)
            {
                request.Headers.Add("Last-Event-ID", id.ToString());
            }

            reader._response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, reader._stop.Token);
            Assert.Equal(HttpStatusCode.OK, reader._response.StatusCode);
            Assert.Equal("text/event-stream", reader._response.Content.Headers.ContentType?.MediaType);
            var body = await reader._response.Content.ReadAsStreamAsync(reader._stop.Token);
            reader._pump = Task.Run(() => reader.PumpAsync(body));
            return reader;
        }

        public async Task WaitForAsync(Func<IReadOnlyList<Received>, bool> done)
        {
            var deadline = DateTime.UtcNow + Wait;
            while (!done(Events))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the stream did not deliver in time; it had {_events.Count} events");
                Assert.False(_pump.IsFaulted, _pump.Exception?.ToString());
                await Task.Delay(50);
            }
        }

        private async Task PumpAsync(Stream body)
        {
            using var text = new StreamReader(body);
            string? id = null, type = null;
            try
            {
                while (await text.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        id = line[4..];
                    }
                    else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        type = line[7..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        _events.Enqueue(new Received(id, type, JsonSerializer.Deserialize<TimelineEntry>(line[6..], TestJson.Options)!));
                        id = type = null;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // disposed
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _pump;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
            {
                // the stream was torn down
            }

            _response.Dispose();
            _stop.Dispose();
        }
    }
}
