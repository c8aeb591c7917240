using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>
/// Serialises bodies the way Quay's Python stack does, so the simulator's wire bytes match the real ones:
/// <c>json.dumps</c> defaults (", " and ": " separators, ASCII-only escapes) for flask-restful and
/// <c>util.http.abort</c>, and Flask's <c>jsonify</c> (compact, keys sorted).
/// </summary>
internal static class PythonJson
{
    /// <summary>A flask-restful resource body: insertion order, default separators, trailing newline.</summary>
    public static string Restful(JsonNode? node) => Dumps(node, sortKeys: false, compact: false) + "\n";

    /// <summary>A Flask <c>jsonify</c> body: sorted keys, compact separators, trailing newline.</summary>
    public static string Jsonify(JsonNode? node) => Dumps(node, sortKeys: true, compact: true) + "\n";

    /// <summary>A plain <c>json.dumps</c>, as <c>util.http.abort</c> writes it (no trailing newline).</summary>
    public static string Dumps(JsonNode? node, bool sortKeys, bool compact)
    {
        var text = new StringBuilder();
        Write(text, node, sortKeys, compact ? "," : ", ", compact ? ":" : ": ");
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonNode? node, bool sortKeys, string itemSeparator, string keySeparator)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                var properties = sortKeys
                    ? obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList()
                    : obj.ToList();
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(itemSeparator);
                    }

                    WriteString(text, properties[i].Key);
                    text.Append(keySeparator);
                    Write(text, properties[i].Value, sortKeys, itemSeparator, keySeparator);
                }

                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(itemSeparator);
                    }

                    Write(text, array[i], sortKeys, itemSeparator, keySeparator);
                }

                text.Append(']');
                break;
            case JsonValue value:
                WriteValue(text, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder text, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(text, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Number:
                text.Append(value.ToJsonString());
                break;
            default:
                text.Append("null");
                break;
        }
    }

    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }
}
