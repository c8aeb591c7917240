namespace QuayGateway.Registries.Model;

/// <summary>
/// How long a change may take (<c>Gateway:Rollout:*</c>). A change's deadline is set when it is accepted and kept on the
/// registry (<see cref="Registry.RolloutDeadline"/>), so it holds even when the job meant to enforce it is lost.
/// </summary>
public sealed class RolloutOptions
{
    public const string Section = "Gateway:Rollout";

    /// <summary>A rollout that is not Available this long after it was asked for is marked Failed.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A deprovision not finished this long after it was asked for (a finalizer that never clears) is marked Failed.</summary>
    public TimeSpan DeleteDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often a deprovision checks whether the operator has let the QuayRegistry go (finalizer).</summary>
    public TimeSpan DeletePollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
