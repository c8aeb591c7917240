using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// A logger provider for the shared test host that records everything logged (every level, message, structured
/// values, scopes and exceptions) while a test has a recording open, so that test can search it for secrets.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
    private int _recordings;

    public IDisposable Record()
    {
        _entries.Clear();
        Interlocked.Increment(ref _recordings);
        return new Recording(this);
    }

    public IReadOnlyList<string> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Recording(CapturedLogs logs) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref logs._recordings);
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logs._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => Volatile.Read(ref logs._recordings) > 0;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var parts = new List<string> { $"{logLevel} {category}: {formatter(state, exception)}" };
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                parts.AddRange(values.Select(v => $"{v.Key}={v.Value}"));
            }

            logs._scopes.ForEachScope((scope, list) =>
            {
                list.Add($"scope: {scope}");
                if (scope is IEnumerable<KeyValuePair<string, object?>> scopeValues)
                {
                    list.AddRange(scopeValues.Select(v => $"{v.Key}={v.Value}"));
                }
            }, parts);
            if (exception is not null)
            {
                parts.Add(exception.ToString());
            }

            logs._entries.Enqueue(string.Join(" | ", parts));
        }
    }
}
