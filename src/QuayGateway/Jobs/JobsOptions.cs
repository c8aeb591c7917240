namespace QuayGateway.Jobs;

public sealed class JobsOptions
{
    public const string Section = "Gateway:Jobs";

    /// <summary>Run a Hangfire server in this process (every replica does by default).</summary>
    public bool Server { get; set; } = true;
    public int WorkerCount { get; set; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>
    /// How often scheduled jobs (deprovision polls, apply and webhook retries) are checked for being due; Hangfire's
    /// default of 15 s would delay each of them.
    /// </summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long after a replica died its running jobs wait before another replica runs them again. A running job's
    /// lease is renewed while it runs (sliding), so this bounds only the recovery after a crash, not a job's length.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often each replica looks for jobs in the outbox that another replica committed (its own commits wake it at
    /// once).
    /// </summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Move jobs from the job outbox into Hangfire in this process. Defaults to <see cref="Server"/>: the replicas that run
    /// jobs also enqueue them, and an API-only replica (<c>Server=false</c>) spends nothing on Hangfire's client. A
    /// deployment whose job servers are elsewhere can still turn it on.
    /// </summary>
    public bool? Dispatch { get; set; }

    public bool Dispatches => Dispatch ?? Server;
}
