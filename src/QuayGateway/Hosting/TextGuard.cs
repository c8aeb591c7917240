using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuayGateway.Hosting;

/// <summary>
/// Text the gateway stores or looks up must be text PostgreSQL takes: it refuses NUL outright, and a query filter with
/// any control character cannot match anything. Both are the client's mistake, answered as a validation problem that
/// names the field, never a 500 from the database.
/// </summary>
public static class TextGuard
{
    public const string NulMessage = "The value contains a NUL character (\\u0000), which no field accepts.";
    public const string ControlMessage = "The value contains a control character, which no query parameter accepts.";

    public static bool HasControlCharacter(string value) => value.AsSpan().IndexOfAnyInRange('\0', '\u001f') >= 0 || value.Contains('\u007f');

    /// <summary>Query parameters with control characters: the problem to answer with, or null.</summary>
    public static IResult? CheckQuery(IQueryCollection query)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var (name, values) in query)
        {
            if (values.Any(v => v is not null && HasControlCharacter(v)) || HasControlCharacter(name))
            {
                (errors ??= new(StringComparer.Ordinal))[Printable(name)] = [ControlMessage];
            }
        }

        return errors is null ? null : Problems.Validation(errors);
    }

    /// <summary>A name fit for an answer or a log: control characters shown as escapes.</summary>
    public static string Printable(string value) =>
        HasControlCharacter(value) ? string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : value;

    /// <summary>Reads JSON strings, refusing one with a NUL (JSON allows <c>\u0000</c>; PostgreSQL text does not).</summary>
    public sealed class NoNulStrings : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var value = reader.GetString();
            return value is not null && value.Contains('\0') ? throw new JsonException(NulMessage) : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
