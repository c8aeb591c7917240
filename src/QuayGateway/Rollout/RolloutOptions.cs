namespace QuayGateway.Rollout;

public sealed class RolloutOptions
{
    public const string Section = "Gateway:Rollout";

    /// <summary>A rollout that is not Available this long after its apply is marked Failed.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often a deprovision checks whether the operator has let the QuayRegistry go (finalizer).</summary>
    public TimeSpan DeletePollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
