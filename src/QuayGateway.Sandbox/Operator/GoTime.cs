using System.Globalization;

namespace QuayGateway.Sandbox.Operator;

/// <summary>Time formats the operator writes.</summary>
internal static class GoTime
{
    /// <summary>Go's <c>time.Time.String()</c> in UTC: <c>2026-06-03 15:33:37.123456789 +0000 UTC</c>, trailing zeros trimmed.</summary>
    public static string String(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var nanos = (utc.Ticks % TimeSpan.TicksPerSecond * 100).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            + (nanos.Length > 0 ? "." + nanos : "")
            + " +0000 UTC";
    }

    /// <summary>A metav1.Time: RFC 3339 in seconds.</summary>
    public static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
