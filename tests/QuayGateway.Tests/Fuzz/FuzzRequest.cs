using System.Text;

namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// One request as it goes on the wire. <see cref="Operation"/> is null for a request to no operation (a method the path
/// does not have); <see cref="Kind"/> names how it was made, to tell failures apart.
/// </summary>
public sealed record FuzzRequest(
    ApiOperation? Operation,
    string Method,
    string PathAndQuery,
    string Kind,
    string Auth,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    string? ContentType)
{
    public string OperationName => Operation?.Name ?? $"{Method} (no such operation)";

    /// <summary>The request for a failure message: enough to send it again with curl.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"{Method} {PathAndQuery} [{Kind}, {Auth}]");
        foreach (var (name, value) in Headers)
        {
            text.Append($"\n  {name}: {Shorten(value)}");
        }

        if (ContentType is not null)
        {
            text.Append($"\n  Content-Type: {ContentType}");
        }

        if (Body is not null)
        {
            text.Append($"\n  body ({Body.Length} bytes): {Shorten(Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 400)))}");
        }

        return text.ToString();
    }

    private static string Shorten(string value) =>
        (value.Length > 300 ? value[..300] + "…" : value).Replace("\0", "\\0", StringComparison.Ordinal);
}
