using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace QuayGateway.Hosting;

/// <summary>
/// Text the gateway stores or looks up must be text PostgreSQL takes and a person can read. PostgreSQL refuses NUL
/// outright; a control character in a name, a key or a token is a mistake or an attack (a CR/LF in a token sent as a
/// header). Every JSON string field of a request is single-line and at most <see cref="DefaultMaxLength"/> characters
/// unless its property says otherwise: <c>[MaxLength(n)]</c> for another bound, <c>[DataType(DataType.MultilineText)]</c>
/// for text that may hold tabs and line breaks (a config.yaml). Refusals are validation problems naming the field,
/// never a 500 from the database.
/// </summary>
public static class TextGuard
{
    public const int DefaultMaxLength = 1024;
    public const string NulMessage = "The value contains a NUL character (\\u0000), which no field accepts.";
    public const string ControlMessage = "The value contains a control character, which no query parameter accepts.";
    public const string SingleLineMessage = "The value contains a control character (a line break, tab or other); this field takes one line of text.";
    public const string MultiLineMessage = "The value contains a control character other than tab, line feed and carriage return.";

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

    /// <summary>
    /// The JSON contract modifier that gives each string property its rule: single-line and
    /// <see cref="DefaultMaxLength"/> by default, or what its <c>[MaxLength]</c> and <c>[DataType]</c> say.
    /// </summary>
    public static void ApplyStringRules(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in info.Properties.Where(p => p.PropertyType == typeof(string) && p.AttributeProvider is not null))
        {
            var attributes = property.AttributeProvider!;
            var maxLength = attributes.GetCustomAttributes(typeof(MaxLengthAttribute), true).OfType<MaxLengthAttribute>().FirstOrDefault()?.Length;
            var multiLine = attributes.GetCustomAttributes(typeof(DataTypeAttribute), true).OfType<DataTypeAttribute>()
                .Any(a => a.DataType == DataType.MultilineText);
            property.CustomConverter = new CheckedString(maxLength ?? (multiLine ? null : DefaultMaxLength), multiLine);
        }
    }

    /// <summary>What is wrong with a request string under a rule, or null.</summary>
    public static string? Refusal(string value, int? maxLength, bool multiLine) =>
        value.Contains('\0') ? NulMessage
        : !multiLine && HasControlCharacter(value) ? SingleLineMessage
        : multiLine && HasControlOtherThanLineBreaks(value) ? MultiLineMessage
        : value.Length > maxLength ? $"The value is {value.Length} characters long; this field takes at most {maxLength}."
        : null;

    private static bool HasControlOtherThanLineBreaks(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' and not ('\t' or '\n' or '\r') or '\u007f')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A refusal by a text rule; <see cref="BadRequestProblems"/> answers it as a field error at its path.</summary>
    public sealed class TextRefusedException(string message) : JsonException(message);

    /// <summary>A string property under its rule.</summary>
    private sealed class CheckedString(int? maxLength, bool multiLine) : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException(); // the framework's own "could not be converted" answer, with the expected type
            }

            var value = reader.GetString()!;
            return Refusal(value, maxLength, multiLine) is { } refusal ? throw new TextRefusedException(refusal) : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>
    /// Strings that no property rule covers (items of lists and maps, which their features validate): no NUL, and no
    /// control character other than tab and line breaks.
    /// </summary>
    public sealed class ItemStrings : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(reader.GetString());

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(reader.GetString())!;

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

        private static string? Checked(string? value) =>
            value is not null && Refusal(value, null, multiLine: true) is { } refusal ? throw new TextRefusedException(refusal) : value;
    }

    /// <summary>
    /// Free-form JSON in a request (component overrides) is stored as jsonb, which refuses <c>\u0000</c> in any string
    /// or name: refuse it when reading.
    /// </summary>
    public sealed class NoNulElements : JsonConverter<JsonElement>
    {
        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var element = JsonElement.ParseValue(ref reader);
            return HasNul(element) ? throw new TextRefusedException(NulMessage) : element;
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);

        private static bool HasNul(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!.Contains('\0'),
            JsonValueKind.Array => element.EnumerateArray().Any(HasNul),
            JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0') || HasNul(p.Value)),
            _ => false,
        };
    }
}
