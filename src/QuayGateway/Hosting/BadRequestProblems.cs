using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace QuayGateway.Hosting;

/// <summary>
/// The framework's refusals of a request (binding a parameter, reading JSON) as problems a client can act on: field
/// errors where a field is at fault, with the values that would have been accepted, and never a .NET type name.
/// </summary>
public static partial class BadRequestProblems
{
    public const string UnknownFieldMessage = "Unknown field; the operation's schema in the OpenAPI document lists the fields it takes.";

    /// <summary>The problem for a refused request, or null when nothing more useful than the status can be said.</summary>
    public static IResult? For(HttpContext context, BadHttpRequestException bad) =>
        bad.InnerException is JsonException json ? ForJson(json)
        : BindFailure().Match(bad.Message) is { Success: true } failure ? Field(failure.Groups["name"].Value, InvalidValue(context, failure))
        : RequiredMissing().Match(bad.Message) is { Success: true } missing ? Field(missing.Groups["name"].Value, "This parameter is required.")
        : bad.Message.Contains("no body was provided", StringComparison.Ordinal)
            ? Problems.Problem(StatusCodes.Status400BadRequest, ProblemTypes.MalformedRequest, "Body required", "This operation needs a JSON body.")
            : null;

    private static IResult ForJson(JsonException json)
    {
        var path = json.Path is { Length: > 0 } p ? p : "$";
        if (json is TextGuard.TextRefusedException)
        {
            return Field(FieldName(path), json.Message);
        }

        if (UnmappedMember().Match(json.Message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups["name"].Value;
            return Field(FieldName(path.EndsWith("." + name, StringComparison.Ordinal) || path.EndsWith($"['{name}']", StringComparison.Ordinal) ? path : $"{path}.{name}"),
                UnknownFieldMessage);
        }

        if (NotConvertible().Match(json.Message) is { Success: true } conversion)
        {
            // Well-formed JSON that does not fit the operation's schema: still a malformed request, with the field named.
            var field = FieldName(path);
            var expected = Expected(TypeAt(conversion.Groups["type"].Value, path));
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [expected] },
                detail: $"The request body does not fit this operation at '{field}': {expected}", title: "Malformed JSON", type: ProblemTypes.MalformedRequest);
        }

        // The reader's own syntax errors say where, in JSON terms.
        return Problems.Problem(StatusCodes.Status400BadRequest, ProblemTypes.MalformedRequest, "Malformed JSON",
            $"The request body is not valid JSON: {json.Message}");
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Field(string name, string message) => Problems.Validation(new Dictionary<string, string[]> { [name] = [message] });

    private static string FieldName(string path) => path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path == "$" ? "body" : path;

    /// <summary>
    /// The type of the value at <paramref name="path"/>. The reader names the type it was filling, which for a record
    /// read through its constructor is the record, not the field: walk the path from there.
    /// </summary>
    private static Type? TypeAt(string typeName, string path)
    {
        var type = typeof(BadRequestProblems).Assembly.GetType(typeName) ?? Type.GetType(typeName);
        if (type is null || type == typeof(string) || !type.IsClass)
        {
            return type;
        }

        var segments = PathSegment().Matches(path).Select(m => m.Groups["name"].Success ? m.Groups["name"].Value : null).ToList();
        foreach (var start in Enumerable.Range(0, segments.Count))
        {
            var current = (Type?)type;
            foreach (var segment in segments.Skip(start))
            {
                current = segment is null ? ElementType(current) : current?.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
            }

            if (current is not null)
            {
                return current;
            }
        }

        return type;
    }

    private static Type? ElementType(Type? type) =>
        type is null ? null
        : type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    /// <summary>What a value of the type looks like, for a person: an enum's names, or the JSON kind.</summary>
    private static string Expected(Type? found)
    {
        var type = found is null ? null : Nullable.GetUnderlyingType(found) ?? found;
        return type switch
        {
            null => "The value has the wrong type.",
            { IsEnum: true } => $"Expected one of: {string.Join(", ", Enum.GetNames(type))}.",
            _ when type == typeof(string) => "Expected a string.",
            _ when type == typeof(bool) => "Expected true or false.",
            _ when type == typeof(int) || type == typeof(long) => "Expected an integer.",
            _ when type == typeof(Guid) => "Expected a UUID.",
            _ when type == typeof(DateTimeOffset) => "Expected an RFC 3339 date-time.",
            _ when type is not null && typeof(IDictionary).IsAssignableFrom(type) || type?.Name.Contains("Dictionary", StringComparison.Ordinal) == true => "Expected an object.",
            _ when type is not null && type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) => "Expected an array.",
            _ => "Expected an object.",
        };
    }

    /// <summary>A route or query value that did not parse: say what would have, from the handler's own parameter.</summary>
    private static string InvalidValue(HttpContext context, Match failure)
    {
        var name = failure.Groups["name"].Value;
        var value = TextGuard.Printable(failure.Groups["value"].Value);
        // The exception handler clears the endpoint from the context; its feature keeps the one that failed.
        var endpoint = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint();
        var parameter = endpoint?.Metadata.GetMetadata<MethodInfo>()?.GetParameters().FirstOrDefault(p => p.Name == name);
        var type = parameter is null ? null : Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        return type is { IsEnum: true }
            ? $"'{value}' is not one of: {string.Join(", ", Enum.GetNames(type))}."
            : type == typeof(int) ? $"'{value}' is not an integer."
            : type == typeof(Guid) ? $"'{value}' is not a UUID."
            : $"'{value}' is not a valid value.";
    }

    [GeneratedRegex("""^Failed to bind parameter "(?<type>.+) (?<name>\w+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    [GeneratedRegex("""^Required parameter "(?<type>.+) (?<name>\w+)" was not provided""")]
    private static partial Regex RequiredMissing();

    [GeneratedRegex("""The JSON property '(?<name>.*)' could not be mapped to any \.NET member""", RegexOptions.Singleline)]
    private static partial Regex UnmappedMember();

    [GeneratedRegex("""could not be converted to (?<type>[^\s]+?)\.( Path|$)""")]
    private static partial Regex NotConvertible();

    // $.components[0].managed → components, [0], managed
    [GeneratedRegex(@"\.(?<name>\w+)|\[(?<index>\d+)\]|\['(?<name>[^']+)'\]")]
    private static partial Regex PathSegment();
}
