using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>Quay's local avatar block: a hash of the e-mail (or name) and a colour picked from that hash.</summary>
internal static class Avatar
{
    // Quay's default AVATAR_COLORS (config.py), in order; the index is int(hash[:2], 16) % 32.
    private static readonly string[] Colors =
    [
        "#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
        "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
        "#bcbd22", "#1f77b4", "#17becf", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede",
        "#9ecae1", "#31a354", "#b5cf6b", "#a1d99b", "#8c6d31", "#ad494a", "#e7ba52", "#a55194",
    ];

    public static JsonObject For(string name, string? emailOrId, string kind)
    {
        var source = string.IsNullOrEmpty(emailOrId) ? name : emailOrId;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source.Trim().ToLowerInvariant())));
        var color = Colors[int.Parse(hash.AsSpan(0, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) % Colors.Length];
        return new JsonObject { ["name"] = name, ["hash"] = hash, ["color"] = color, ["kind"] = kind };
    }
}
