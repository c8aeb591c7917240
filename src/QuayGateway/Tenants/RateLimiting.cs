using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using QuayGateway.Hosting;
using QuayGateway.Security;

namespace QuayGateway.Tenants;

/// <summary><c>Gateway:RateLimit</c>: requests per second and burst, per tenant and per anonymous client address.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Gateway:RateLimit";

    /// <summary>Off only for benchmarks and load tests; a shared gateway keeps it on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A tenant's sustained rate and burst, unless its policy sets its own (<see cref="TenantPolicy.RateLimit"/>). A portal's page load makes a handful of
    /// calls and a fleet view a few per registry, so the default leaves a busy portal room and stops a runaway script.
    /// </summary>
    public RateLimit Tenant { get; set; } = new(50, 100);

    /// <summary>Requests without a valid credential, per client address (so guessing keys is slow).</summary>
    public RateLimit Anonymous { get; set; } = new(5, 20);
}

/// <summary>A token bucket: <paramref name="RequestsPerSecond"/> sustained, <paramref name="Burst"/> at once.</summary>
public sealed record RateLimit(double RequestsPerSecond, int Burst)
{
    public RateLimit() : this(0, 0)
    {
    }
}

/// <summary>
/// ASP.NET Core's rate limiter, partitioned by the caller's tenant (anonymous callers by address), at the rate its
/// policy sets or the configured default. A refusal is a 429 <c>rate-limited</c> problem with <c>Retry-After</c>.
/// Probes and metrics are not limited.
/// </summary>
public static class RateLimiting
{
    private const string PolicyLimit = "QuayGateway.Tenants.RateLimit";

    public static WebApplicationBuilder AddGatewayRateLimiting(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, (string, RateLimit)>(context => Partition(context, options));
            limiter.OnRejected = (rejected, ct) => RejectAsync(rejected.HttpContext, rejected.Lease, ct);
        });
        return builder;
    }

    public static WebApplication UseGatewayRateLimiting(this WebApplication app)
    {
        if (app.Services.GetRequiredService<RateLimitOptions>().Enabled)
        {
            // The partitioner cannot wait, so the tenant's policy (cached) is looked up before it runs.
            app.Use(async (context, next) =>
            {
                if (context.User.Identity?.IsAuthenticated == true
                    && await context.RequestServices.GetRequiredService<TenantPolicies>().ForTenantAsync(context.User.Tenant(), context.RequestAborted)
                        is { RateLimit: { } limit })
                {
                    context.Items[PolicyLimit] = new RateLimit(limit.RequestsPerSecond, limit.Burst);
                }

                await next(context);
            });
            app.UseRateLimiter();
        }

        return app;
    }

    private static RateLimitPartition<(string, RateLimit)> Partition(HttpContext context, RateLimitOptions options)
    {
        // The limits are part of the key, so a changed limit takes effect with a fresh bucket.
        var key = context.User.Identity?.IsAuthenticated == true
            ? ("tenant:" + context.User.Tenant(), context.Items[PolicyLimit] as RateLimit ?? options.Tenant)
            : ("address:" + (context.Connection.RemoteIpAddress ?? IPAddress.None), options.Anonymous);
        return RateLimitPartition.GetTokenBucketLimiter(key, k => Bucket(k.Item2));
    }

    /// <summary>
    /// The bucket refills in steps of at most a tenth of a second: the partitioned limiter replenishes on a 100 ms
    /// timer and adds one step per tick, so a finer period would cap the rate below the one configured.
    /// </summary>
    internal static TokenBucketRateLimiterOptions Bucket(RateLimit limit)
    {
        var perSecond = Math.Max(limit.RequestsPerSecond, 0.001);
        var (period, tokens) = perSecond >= 10
            ? (TimeSpan.FromMilliseconds(100), (int)Math.Round(perSecond / 10))
            : (TimeSpan.FromSeconds(1 / perSecond), 1);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(limit.Burst, 1),
            TokensPerPeriod = Math.Max(tokens, 1),
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static async ValueTask RejectAsync(HttpContext context, RateLimitLease lease, CancellationToken ct)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = (int)Math.Ceiling(Math.Max(retryAfter.TotalSeconds, 1));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Problem(StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited, "Too many requests",
            $"The rate limit for this caller was reached; retry after {seconds} s.").ExecuteAsync(context);
    }
}
