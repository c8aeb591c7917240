using Microsoft.AspNetCore.Http.HttpResults;

namespace QuayGateway.Hosting;

/// <summary>Typed problem results with the gateway's stable types.</summary>
public static class Problems
{
    public static ProblemHttpResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type);

    public static ProblemHttpResult NotFound(string what) =>
        Problem(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", $"{what} was not found.");

    public static ProblemHttpResult Conflict(string type, string title, string detail) =>
        Problem(StatusCodes.Status409Conflict, type, title, detail);

    public static ProblemHttpResult Forbidden(string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: title, type: type, extensions: extensions);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "The request has invalid fields; see 'errors'.",
            title: "Validation failed", type: ProblemTypes.ValidationFailed);

    /// <summary>
    /// A 400 unless each value of the query parameter is one of <typeparamref name="T"/>'s names, as the document lists
    /// them. The framework refuses an unknown name itself, but binds any number (<c>?type=99</c>), and a filter on a value
    /// that does not exist would answer an empty page instead of saying what is wrong.
    /// </summary>
    public static ValidationProblem? UnlessEnumName<T>(HttpContext http, string parameter)
        where T : struct, Enum
    {
        var names = Enum.GetNames<T>();
        return http.Request.Query[parameter].FirstOrDefault(v => !names.Contains(v, StringComparer.Ordinal)) is { } unknown
            ? Validation(new Dictionary<string, string[]>
            {
                [parameter] = [$"'{TextGuard.Printable(unknown)}' is not one of: {string.Join(", ", names)}."],
            })
            : null;
    }
}
