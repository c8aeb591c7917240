using System.Collections.Concurrent;
using Microsoft.AspNetCore.WebUtilities;
using QuayGateway.Sandbox.Faults;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>
/// The simulated Quay application, one independent instance per QuayRegistry.
/// <para>
/// Routing: a Quay answers for a registry's route host (<c>&lt;name&gt;-quay-&lt;namespace&gt;.&lt;apps domain&gt;</c>)
/// and the <c>SERVER_HOSTNAME</c> of that registry's config.yaml (<see cref="Serves"/>). It is reached over HTTPS
/// only, through <c>CONNECT host:443</c> on the sandbox port (a plain request to the sandbox port never reaches it);
/// inside the tunnel the request's Host header (port ignored) picks the instance.
/// </para>
/// The operator opens an instance when the registry first becomes Available and closes it when the registry goes.
/// </summary>
public sealed partial class QuayApiSimulator(TimeProvider clock, QuayApiFaults faults)
{
    private readonly ConcurrentDictionary<string, QuayInstance> _byRegistry = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, QuayInstance> _byHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string[]> _hostsOf = new(StringComparer.Ordinal);

    /// <summary>Whether a request with this Host header (with or without a port) is for a simulated Quay.</summary>
    public bool Serves(string host) => _byHost.ContainsKey(StripPort(host));

    /// <summary>The <see cref="RequestDelegate"/> for Quay API requests; see <see cref="Serves"/>.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!_byHost.TryGetValue(StripPort(context.Request.Host.Value ?? ""), out var quay))
        {
            await QuayResponses.Abort(context, 404, "Not Found");
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        var hang = faults.HangFor(path);
        if (hang is { AnswerLost: false } held)
        {
            await faults.HoldAsync(held.Release, context.RequestAborted);
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (faults.ErrorFor(path) is { } status)
        {
            if (status == StatusCodes.Status429TooManyRequests)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            await QuayResponses.Abort(context, status, ReasonPhrases.GetReasonPhrase(status));
            return;
        }

        if (hang is not { AnswerLost: true } lost)
        {
            await QuayEndpoints.Dispatch(quay, context);
            return;
        }

        // Quay does the work; its answer is held back (and dropped if the client gives up first).
        var network = context.Response.Body;
        using var answer = new MemoryStream();
        context.Response.Body = answer;
        await QuayEndpoints.Dispatch(quay, context);
        context.Response.Body = network;
        await faults.HoldAsync(lost.Release, context.RequestAborted);
        if (!context.RequestAborted.IsCancellationRequested)
        {
            answer.Position = 0;
            await answer.CopyToAsync(network, context.RequestAborted);
        }
    }

    /// <summary>
    /// Creates the registry's Quay on first call (an empty database) and afterwards only refreshes its config and
    /// the hosts it answers on, so users, orgs and tokens survive config changes.
    /// </summary>
    internal void Open(string registry, IReadOnlyCollection<string> hosts, QuayConfig config, string? version = null)
    {
        var quay = _byRegistry.GetOrAdd(registry, r => new QuayInstance(NewDatabase(r), config));
        quay.Config = config;
        if (version is not null)
        {
            quay.Version = QuayVersions.Normalize(version);
        }

        var current = hosts.Select(StripPort).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var previous = _hostsOf.GetValueOrDefault(registry, []);
        foreach (var stale in previous.Except(current, StringComparer.OrdinalIgnoreCase))
        {
            _byHost.TryRemove(new KeyValuePair<string, QuayInstance>(stale, quay));
        }

        foreach (var host in current)
        {
            _byHost[host] = quay;
        }

        _hostsOf[registry] = current;
    }

    internal bool IsOpen(string registry) => _byRegistry.ContainsKey(registry);

    /// <summary>Drops the registry's Quay and its database.</summary>
    internal void Close(string registry)
    {
        _kept.TryRemove(registry, out _);
        if (!_byRegistry.TryRemove(registry, out var quay))
        {
            return;
        }

        if (_hostsOf.TryRemove(registry, out var hosts))
        {
            foreach (var host in hosts)
            {
                _byHost.TryRemove(new KeyValuePair<string, QuayInstance>(host, quay));
            }
        }
    }

    private static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }
}
