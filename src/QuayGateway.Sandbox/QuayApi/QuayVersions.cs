using System.Globalization;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>
/// The Quay releases the sandbox plays. A version decides which endpoints exist and how they check their callers:
/// <list type="bullet">
/// <item>3.12 and later: <c>/oauth/authorizeapp</c> mints only for an admin of the application's organization.</item>
/// <item>3.18 and later: <c>POST /api/v1/organization/{org}/applications/{client_id}/tokens</c> (quay PR #6461).</item>
/// </list>
/// </summary>
public static class QuayVersions
{
    /// <summary>
    /// A QuayRegistry label that makes the sandbox play another Quay release for that registry only, so versions can
    /// be compared side by side on one sandbox (the gateway's <c>labels</c> in a create request reach the QuayRegistry).
    /// </summary>
    public const string Label = "sandbox.quaygateway.dev/quay-version";

    /// <summary>What the <c>current</c> operator profile reports.</summary>
    public const string Default = "3.16.2";

    /// <summary>
    /// The Quay profiles the sandbox offers: each operator profile's own release (3.6 and <see cref="Default"/>'s 3.16)
    /// and one release on each side of every behaviour the sandbox's Quay tells apart (before 3.12, 3.12 to 3.17, 3.18
    /// and later). Tests that must hold "on every profile" take their rows from here.
    /// </summary>
    public static readonly IReadOnlyList<string> Profiles = ["3.6", "3.9", "3.12", "3.16", "3.18"];

    /// <summary>"3.18" becomes "3.18.0"; "v3.12.4" becomes "3.12.4".</summary>
    public static string Normalize(string version)
    {
        var trimmed = version.Trim().TrimStart('v', 'V');
        if (!Version.TryParse(trimmed.Contains('.', StringComparison.Ordinal) ? trimmed : trimmed + ".0", out var parsed) || parsed.Major < 3)
        {
            throw new ArgumentException($"'{version}' is not a Quay version such as 3.9, 3.12 or 3.18.", nameof(version));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{parsed.Major}.{parsed.Minor}.{Math.Max(0, parsed.Build)}");
    }

    public static bool AtLeast(string version, int major, int minor) =>
        Version.TryParse(version, out var parsed) && parsed >= new Version(major, minor);
}
