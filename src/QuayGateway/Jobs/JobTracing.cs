using System.Diagnostics;
using Hangfire.Client;
using Hangfire.Server;

namespace QuayGateway.Jobs;

/// <summary>
/// A span around every Hangfire job, parented to the span that enqueued it (the W3C trace context travels as a job
/// parameter), so one trace runs from the HTTP request through the job and its SQL and Kubernetes calls.
/// </summary>
public sealed class JobTracing : IClientFilter, IServerFilter
{
    public const string SourceName = "QuayGateway.Jobs";
    private const string TraceParent = "traceparent";
    private const string ActivityKey = "QuayGateway.Activity";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// The span of an enqueue that happens after the fact (<see cref="JobOutboxDispatcher"/>), parented to the trace
    /// context that asked for the job; current while the job is created, so the job carries it on.
    /// </summary>
    public static Activity? StartEnqueue(Hangfire.Common.Job job, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        return Source.StartActivity($"Enqueue {job.Type.Name}.{job.Method.Name}", ActivityKind.Producer, parent);
    }

    public void OnCreating(CreatingContext context)
    {
        if (Activity.Current?.Id is { } id)
        {
            context.SetJobParameter(TraceParent, id);
        }
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        var job = context.BackgroundJob.Job;
        ActivityContext.TryParse(context.GetJobParameter<string>(TraceParent), null, out var parent);
        var activity = Source.StartActivity($"{job.Type.Name}.{job.Method.Name}", ActivityKind.Consumer, parent);
        if (activity is null)
        {
            return;
        }

        activity.SetTag("job.id", context.BackgroundJob.Id);
        activity.SetTag("job.type", job.Type.FullName);
        context.Items[ActivityKey] = activity;
    }

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(ActivityKey, out var item) || item is not Activity activity)
        {
            return;
        }

        if (context.Exception is { } e && !context.ExceptionHandled)
        {
            activity.AddException(e);
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
        }

        activity.Dispose();
    }
}
