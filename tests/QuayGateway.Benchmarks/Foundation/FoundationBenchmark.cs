using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuayGateway.DevServices;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Benchmarks.Foundation;

/// <summary>
/// POST /v1/registries and GET /v1/registries/{id} against the running gateway, next to a raw Npgsql baseline doing
/// the same INSERT/SELECT, in one run. Targets: gateway ≥ 50% of baseline throughput on POST, ≥ 70% on GET.
/// </summary>
public static class FoundationBenchmark
{
    public static async Task<int> RunAsync(TimeSpan duration, int workers, TimeSpan warmUp, int rounds, bool profile = false)
    {
        const string adminKey = "qgw-benchmark-admin-key";
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        if (profile)
        {
            await PostProfile.EnableAsync(postgres);
        }

        // The API is measured, not the rollouts it starts: no job server or watch in the process under load. Each 202
        // still has its apply job in PostgreSQL (the job outbox); a job replica moves it into Hangfire, checked below.
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, adminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false");
        var (baselineApp, baselineUrl) = await BaselineServer.StartAsync(postgres.ConnectionString + ";Maximum Pool Size=200");
        await using var _ = baselineApp;

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers * 2 });
        http.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        var created = 0; // names never repeat (a duplicate is a 409, not a create)
        var gatewayIds = new List<Guid>();
        var baselineIds = new List<Guid>();

        async Task<bool> GatewayPost(int _)
        {
            using var r = await http.PostAsJsonAsync($"{gateway.Url}/v1/registries", new CreateRegistryRequest($"g-{Interlocked.Increment(ref created)}", "bench"));
            if (r.StatusCode != HttpStatusCode.Accepted)
            {
                return false;
            }

            lock (gatewayIds)
            {
                gatewayIds.Add(Guid.Parse(r.Headers.Location!.OriginalString.Split('/')[^1]));
            }

            return true;
        }

        async Task<bool> BaselinePost(int _)
        {
            using var r = await http.PostAsJsonAsync($"{baselineUrl}/registries", new CreateRegistryRequest($"b-{Interlocked.Increment(ref created)}", "bench"));
            if (r.StatusCode != HttpStatusCode.Accepted)
            {
                return false;
            }

            lock (baselineIds)
            {
                baselineIds.Add(Guid.Parse(r.Headers.Location!.OriginalString.Split('/')[^1]));
            }

            return true;
        }

        Func<int, Task<bool>> Get(string prefix, List<Guid> ids) => async i =>
        {
            using var r = await http.GetAsync($"{prefix}{ids[i % ids.Count]}");
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        };

        Console.WriteLine($"Foundation benchmark: {workers} workers, {duration.TotalSeconds:F0} s per target and endpoint in {rounds} alternating rounds, loopback, throwaway PostgreSQL");
        // Warm both servers on an endpoint before measuring it. The gateway is a large app: on two shared cores its
        // tiered JIT needs ~20 s of load to reach steady state (2 s rounds from a cold start: 1,136 req/s, then
        // ~4,000 after 22 s), so the warm-up prints its rounds too, to show where it ended. Warm-up and measurement
        // alternate alike, so that before every measured round each server has been idle for one slice of the other's
        // load. Gateway and baseline alternate in short rounds: on this shared machine the load from elsewhere comes
        // and goes within a phase, and alternating gives both sides the same conditions.
        var (_, _, postWarmUp) = await LoadRunner.AlternateAsync(
            "warm-up gateway POST", GatewayPost, "warm-up baseline POST", BaselinePost, workers, warmUp, rounds);
        var postProfile = profile ? await PostProfile.StartAsync(postgres.ConnectionString) : null;
        var postCpu = profile ? await PostProfile.CpuSplitAsync(postgres.ConnectionString, gateway.Id) : null;
        var (gatewayPost, baselinePost, postRounds) = await LoadRunner.AlternateAsync(
            "gateway  POST /v1/registries", GatewayPost, "baseline POST /registries", BaselinePost, workers, duration, rounds, postCpu);
        if (postProfile is not null)
        {
            await postProfile.PrintAsync(gatewayPost, baselinePost);
            postCpu!.Print("gateway POST", "baseline POST");
        }

        Console.WriteLine($"create groups (warm-up and measured POST rounds): {await CreateGroupsAsync(http, gateway.Url)}");

        var gatewayGetOne = Get($"{gateway.Url}/v1/registries/", gatewayIds);
        var baselineGetOne = Get($"{baselineUrl}/registries/", baselineIds);
        var (_, _, getWarmUp) = await LoadRunner.AlternateAsync(
            "warm-up gateway GET", gatewayGetOne, "warm-up baseline GET", baselineGetOne, workers, warmUp, rounds);
        var getCpu = profile ? await PostProfile.CpuSplitAsync(postgres.ConnectionString, gateway.Id) : null;
        var (gatewayGet, baselineGet, getRounds) = await LoadRunner.AlternateAsync(
            "gateway  GET /v1/registries/{id}", gatewayGetOne, "baseline GET /registries/{id}", baselineGetOne, workers, duration, rounds, getCpu);
        getCpu?.Print("gateway GET", "baseline GET");

        foreach (var result in new[] { gatewayPost, baselinePost, gatewayGet, baselineGet })
        {
            Console.WriteLine(result);
        }

        var postRatio = gatewayPost.RequestsPerSecond / baselinePost.RequestsPerSecond;
        var getRatio = gatewayGet.RequestsPerSecond / baselineGet.RequestsPerSecond;
        Console.WriteLine($"POST throughput ratio gateway/baseline: {postRatio:P0} (median of {rounds} rounds {Median(postRounds.Select(r => r.Ratio)):P0}; target ≥ 50%) {(postRatio >= 0.5 ? "MET" : "NOT MET")}");
        Console.WriteLine($"GET  throughput ratio gateway/baseline: {getRatio:P0} (median of {rounds} rounds {Median(getRounds.Select(r => r.Ratio)):P0}; target ≥ 70%) {(getRatio >= 0.7 ? "MET" : "NOT MET")}");
        Console.WriteLine($"per round, in order, ratio (gateway/baseline req/s): POST {string.Join(" ", postRounds)}; GET {string.Join(" ", getRounds)}");
        Console.WriteLine($"warm-up rounds, in order: POST {string.Join(" ", postWarmUp)}; GET {string.Join(" ", getWarmUp)}");
        Console.WriteLine(JsonSerializer.Serialize(new { postRatio, getRatio }));

        // Durability: every accepted registry has its apply job in PostgreSQL. A dispatching replica then moves the
        // outbox into Hangfire (outside the measured phases), which shows nothing was lost and how fast it goes.
        var (pending, _) = await CountJobsAsync(postgres.ConnectionString);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using (await GatewayProcess.StartAsync(postgres.ConnectionString, adminKey,
                         "--Gateway:Jobs:Server=false", "--Gateway:Jobs:Dispatch=true", "--Gateway:Watch:Enabled=false"))
        {
            var ready = started.Elapsed;
            long left;
            long applyJobs;
            do
            {
                await Task.Delay(200);
                (left, applyJobs) = await CountJobsAsync(postgres.ConnectionString);
            }
            while (left > 0 && started.Elapsed < TimeSpan.FromMinutes(10));

            var drain = started.Elapsed - ready;
            Console.WriteLine($"job outbox: {pending} jobs for {gatewayIds.Count} accepted registries; a dispatching replica moved them " +
                              $"into Hangfire in {drain.TotalSeconds:F1} s ({pending / drain.TotalSeconds:F0} jobs/s); " +
                              $"apply jobs in Hangfire: {applyJobs} {(applyJobs == gatewayIds.Count && left == 0 ? "(none lost)" : "(MISSING)")}");
        }

        return 0;
    }

    /// <summary>Creates per transaction, from the gateway's <c>quaygateway_database_insert_group_size</c> histogram.</summary>
    private static async Task<string> CreateGroupsAsync(HttpClient http, string gatewayUrl)
    {
        var metrics = await http.GetStringAsync($"{gatewayUrl}/metrics");
        double Sum(string series) => Regex
            .Matches(metrics, $@"^quaygateway_database_insert_group_size_{series}\{{[^}}]*outcome=""committed""[^}}]*\}} (?<v>[0-9.e+]+)", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture));
        var (creates, transactions) = (Sum("sum"), Sum("count"));
        return transactions == 0 ? "no group metric (a gateway before group commit)" : $"{creates:F0} creates in {transactions:F0} transactions, {creates / transactions:F1} per transaction";
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>Jobs still in the outbox (each row holds a unit of work's jobs), and apply jobs already in Hangfire.</summary>
    private static async Task<(long Outbox, long ApplyJobsInHangfire)> CountJobsAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT (SELECT coalesce(sum(json_array_length(jobs::json)), 0) FROM gateway.outbox_jobs), " +
            "(SELECT count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%ApplyRegistryJob%')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
