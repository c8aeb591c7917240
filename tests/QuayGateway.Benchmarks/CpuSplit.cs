using System.Diagnostics;
using System.Globalization;

namespace QuayGateway.Benchmarks;

/// <summary>
/// <c>foundation --profile</c>: the CPU a request costs, per process, for each of two alternating targets. The
/// processes' CPU time is read from <c>/proc</c> before and after every slice and charged to the target that slice
/// loaded. Under closed-loop load on a small machine, throughput is the machine's cores divided by the CPU one request
/// needs everywhere (HTTP client, server, PostgreSQL, kernel), so this says which process a ratio is lost in.
/// </summary>
public sealed class CpuSplit
{
    // USER_HZ: /proc reports CPU time in these ticks on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly (string Name, Func<TimeSpan> Read)[] _parts;
    private readonly TimeSpan[,] _spent;
    private readonly int[] _requests = new int[2];
    private readonly TimeSpan[] _elapsed = new TimeSpan[2];

    private CpuSplit((string Name, Func<TimeSpan> Read)[] parts)
    {
        _parts = parts;
        _spent = new TimeSpan[2, parts.Length];
    }

    /// <summary>
    /// Splits the gateway process, the PostgreSQL server (its postmaster and every child: backends, WAL writer,
    /// autovacuum), this process (the load generator, and the baseline server it hosts) and the whole machine. The
    /// server's time is also split by kind of process, told by the title PostgreSQL gives each child: what the client
    /// connections' backends run (statements, parsing, commits, notifications) against what writing the data costs in
    /// the background.
    /// </summary>
    public static CpuSplit For(Process gateway, int postmaster)
    {
        var self = Process.GetCurrentProcess();
        return new CpuSplit(
        [
            ("gateway process", () => { gateway.Refresh(); return gateway.TotalProcessorTime; }),
            ("PostgreSQL", () => PostgresCpu(postmaster)),
            ("  of which client backends", () => PostgresCpu(postmaster, PostgresProcess.ClientBackend)),
            ("  of which autovacuum (exited workers too)", () => PostgresCpu(postmaster, PostgresProcess.Autovacuum)),
            ("  of which WAL writer, checkpointer, bgwriter", () => PostgresCpu(postmaster, PostgresProcess.Writer)),
            ("benchmark process (load + baseline server)", () => { self.Refresh(); return self.TotalProcessorTime; }),
            ("machine (all processes and kernel)", MachineCpu),
        ]);
    }

    /// <summary>Runs one slice of <paramref name="target"/> (0 = A, 1 = B) and charges the CPU it took to that target.</summary>
    public async Task<LoadResult> MeasureAsync(int target, Func<Task<LoadResult>> slice)
    {
        var before = _parts.Select(p => p.Read()).ToArray();
        var result = await slice();
        for (var i = 0; i < _parts.Length; i++)
        {
            _spent[target, i] += _parts[i].Read() - before[i];
        }

        _requests[target] += result.Requests;
        _elapsed[target] += TimeSpan.FromSeconds(result.Seconds);
        return result;
    }

    public void Print(string nameA, string nameB)
    {
        Console.WriteLine($"profile: CPU per request by process, µs (share of the machine's CPU in that target's slices), {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  {"",-44} {nameA,28} {nameB,28}");
        for (var i = 0; i < _parts.Length; i++)
        {
            Console.WriteLine($"  {_parts[i].Name,-44} {Cell(0, i),28} {Cell(1, i),28}");
        }

        var machine = _parts.Length - 1;
        for (var target = 0; target < 2; target++)
        {
            var busy = _spent[target, machine].TotalSeconds / (_elapsed[target].TotalSeconds * Environment.ProcessorCount);
            Console.WriteLine($"  {(target == 0 ? nameA : nameB)}: machine busy {busy:P0} of its slices");
        }
    }

    private string Cell(int target, int part)
    {
        var perRequest = _spent[target, part].TotalMicroseconds / Math.Max(1, _requests[target]);
        var share = _spent[target, part] / _spent[target, _parts.Length - 1];
        return $"{perRequest:F0} µs ({share:P0})";
    }

    /// <summary>The postmaster's PID, from <c>postmaster.pid</c> in the server's data directory.</summary>
    public static int PostmasterPid(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    private enum PostgresProcess { ClientBackend, Autovacuum, Writer, Other }

    // The postmaster's own time with that of its exited children (cutime, cstime), plus every live child's own time;
    // or only the children of one kind. Exited children are counted as autovacuum: the workers come and go, while the
    // pools keep their backends open through a run.
    private static TimeSpan PostgresCpu(int postmaster, PostgresProcess? only = null)
    {
        var ticks = 0L;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || ReadStat(pid) is not { } stat)
            {
                continue;
            }

            if (pid == postmaster)
            {
                ticks += (only is null ? stat.UserTicks + stat.SystemTicks : 0)
                    + (only is null or PostgresProcess.Autovacuum ? stat.ChildrenTicks : 0);
            }
            else if (stat.Parent == postmaster && (only is null || KindOf(pid) == only))
            {
                ticks += stat.UserTicks + stat.SystemTicks;
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    // PostgreSQL retitles each child ("postgres: walwriter", "postgres: autovacuum worker qg", "postgres: user db
    // 127.0.0.1(5432) idle"), and on Linux the title is what /proc/<pid>/cmdline holds.
    private static PostgresProcess KindOf(int pid)
    {
        string title;
        try
        {
            title = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return PostgresProcess.Other;
        }

        return title switch
        {
            _ when title.Contains("autovacuum", StringComparison.Ordinal) => PostgresProcess.Autovacuum,
            _ when title.Contains("walwriter", StringComparison.Ordinal) || title.Contains("checkpointer", StringComparison.Ordinal)
                || title.Contains("background writer", StringComparison.Ordinal) => PostgresProcess.Writer,
            _ when title.Contains('(') || title.Contains("[local]", StringComparison.Ordinal) => PostgresProcess.ClientBackend,
            _ => PostgresProcess.Other,
        };
    }

    private static (int Parent, long UserTicks, long SystemTicks, long ChildrenTicks)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // exited meanwhile
        }

        // The command name is in parentheses and may hold spaces: the fields that follow start after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int n) => long.Parse(fields[n - 3], CultureInfo.InvariantCulture); // numbered as in proc(5)
        return ((int)Field(4), Field(14), Field(15), Field(16) + Field(17));
    }

    // Every CPU's time not idle and not waiting for I/O, from the first line of /proc/stat.
    private static TimeSpan MachineCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int n) => long.Parse(fields[n], CultureInfo.InvariantCulture);
        var busy = Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8); // user nice system irq softirq steal
        return TimeSpan.FromSeconds(busy / TicksPerSecond);
    }
}
