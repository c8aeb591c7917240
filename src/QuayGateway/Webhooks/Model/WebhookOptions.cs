using System.Globalization;
using Hangfire;

namespace QuayGateway.Webhooks.Model;

/// <summary><c>Gateway:Webhooks</c>: retry schedule, timeout, SSRF allowlist, secret overlap.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Gateway:Webhooks";

    /// <summary>The Standard Webhooks schedule: the delay before each retry after the first attempt.</summary>
    public static readonly IReadOnlyList<TimeSpan> StandardRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    public IReadOnlyList<TimeSpan> RetrySchedule { get; init; } = StandardRetrySchedule;

    /// <summary>The Hangfire queue deliveries run on, with workers of their own (<see cref="Workers"/>).</summary>
    public const string Queue = "webhooks";

    /// <summary>
    /// Delivery workers per replica. A receiver that holds its connection ties up one of these for up to
    /// <see cref="Timeout"/>, never a worker that rolls out registries.
    /// </summary>
    public int Workers { get; init; } = Math.Max(4, Environment.ProcessorCount * 2);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Host names or CIDR ranges that may be reached although they are loopback, link-local or private.</summary>
    public IReadOnlyList<string> AllowedDestinations { get; init; } = [];

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan SecretOverlap { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The longest <c>Retry-After</c> honoured; a receiver cannot park a delivery for longer.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromHours(24);

    public string SweepCron { get; init; } = Cron.Minutely();

    /// <summary>The sweep only picks up work older than this, so it does not race the normal after-commit path.</summary>
    public TimeSpan SweepGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long events and their delivery log are kept.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    public int MaxAttempts => RetrySchedule.Count + 1;

    /// <summary>
    /// Lists may be given as one comma-separated value (<c>RetrySchedule=5s,5m,30m</c>) or as indexed children;
    /// durations as <c>00:00:05</c> or with a unit suffix (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>).
    /// </summary>
    public static WebhookOptions From(IConfigurationSection section)
    {
        var defaults = new WebhookOptions();
        var schedule = List(section.GetSection(nameof(RetrySchedule)));
        return new WebhookOptions
        {
            RetrySchedule = schedule.Count > 0 ? schedule.Select(ParseDuration).ToList() : defaults.RetrySchedule,
            Timeout = Duration(section, nameof(Timeout)) ?? defaults.Timeout,
            Workers = int.TryParse(section[nameof(Workers)], NumberStyles.Integer, CultureInfo.InvariantCulture, out var workers) && workers > 0
                ? workers
                : defaults.Workers,
            AllowedDestinations = List(section.GetSection(nameof(AllowedDestinations))),
            SecretOverlap = Duration(section, nameof(SecretOverlap)) ?? defaults.SecretOverlap,
            MaxRetryAfter = Duration(section, nameof(MaxRetryAfter)) ?? defaults.MaxRetryAfter,
            SweepCron = section[nameof(SweepCron)] ?? defaults.SweepCron,
            SweepGrace = Duration(section, nameof(SweepGrace)) ?? defaults.SweepGrace,
            Retention = Duration(section, nameof(Retention)) ?? defaults.Retention,
        };
    }

    public static TimeSpan ParseDuration(string text)
    {
        var value = text.Trim();
        (string Suffix, Func<double, TimeSpan> Make)[] units =
            [("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds), ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours), ("d", TimeSpan.FromDays)];
        foreach (var (suffix, make) in units)
        {
            if (value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                return make(amount);
            }
        }

        return TimeSpan.Parse(value, CultureInfo.InvariantCulture);
    }

    private static TimeSpan? Duration(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } text ? ParseDuration(text) : null;

    private static List<string> List(IConfigurationSection section) =>
        (section.Value is { } single ? single.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries) : section.GetChildren().Select(c => c.Value ?? ""))
        .Select(v => v.Trim())
        .Where(v => v.Length > 0)
        .ToList();
}
