namespace QuayGateway.Rollout;

/// <summary>How long what a registry leaves behind is kept (<c>Gateway:Retention:*</c>), so tables do not grow forever.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Gateway:Retention";

    /// <summary>A deleted registry's timeline is kept this long after its deletion (the registry row itself stays).</summary>
    public TimeSpan DeletedRegistryTimeline { get; set; } = TimeSpan.FromDays(90);

    /// <summary>When the purge runs (cron).</summary>
    public string Cron { get; set; } = "17 3 * * *";
}
