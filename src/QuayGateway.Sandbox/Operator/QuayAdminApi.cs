using System.Text.Json;
using QuayGateway.Sandbox.Faults;

namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// The Quay simulation's admin API, next to the host's <c>/sandbox/faults</c>:
/// <list type="bullet">
/// <item><c>GET|DELETE /sandbox/faults/operator</c>; <c>POST /sandbox/faults/operator/crash-loop</c>
///   <c>{"component":"quay","namespace":"ns","registry":"name"}</c>; <c>POST /sandbox/faults/operator/failed-migrations</c>
///   <c>{"namespace":"ns","registry":"name"}</c> (namespace and registry optional: all registries).</item>
/// <item><c>GET|DELETE /sandbox/faults/quay-api</c>; <c>POST /sandbox/faults/quay-api/errors</c>
///   <c>{"statusCode":500,"rate":0.5,"pathPrefix":"/api/v1/organization"}</c>; <c>POST /sandbox/faults/quay-api/hangs</c>
///   <c>{"pathPrefix":null,"answerLost":false}</c>.</item>
/// <item><c>POST /sandbox/clock/advance?seconds=9000</c>: moves the sandbox clock (token expiry) forward.</item>
/// <item><c>POST /sandbox/quay/revoke-tokens?registry=ns/name</c>: revokes every Quay access token of that registry (all without it).</item>
/// </list>
/// </summary>
internal static class QuayAdminApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record HangRequest(string? PathPrefix, bool AnswerLost = false);

    public static async Task<bool> TryHandle(HttpContext context, QuaySimulation simulation)
    {
        var path = context.Request.Path.Value ?? "";
        var method = context.Request.Method;
        var operatorFaults = simulation.OperatorFaults;
        var quayFaults = simulation.QuayApiFaults;
        try
        {
            switch (path.TrimEnd('/'))
            {
                case "/sandbox/faults/operator" when HttpMethods.IsDelete(method):
                    operatorFaults.Clear();
                    await Reply(context, OperatorState(operatorFaults));
                    return true;
                case "/sandbox/faults/operator" when HttpMethods.IsGet(method):
                    await Reply(context, OperatorState(operatorFaults));
                    return true;
                case "/sandbox/faults/operator/crash-loop" when HttpMethods.IsPost(method):
                    operatorFaults.AddCrashLoop(await Read<CrashLoopFault>(context));
                    await Reply(context, OperatorState(operatorFaults));
                    return true;
                case "/sandbox/faults/operator/failed-migrations" when HttpMethods.IsPost(method):
                    operatorFaults.AddFailedMigrations(await Read<FailedMigrationsFault>(context));
                    await Reply(context, OperatorState(operatorFaults));
                    return true;
                case "/sandbox/faults/quay-api" when HttpMethods.IsDelete(method):
                    quayFaults.Clear();
                    await Reply(context, QuayState(quayFaults));
                    return true;
                case "/sandbox/faults/quay-api" when HttpMethods.IsGet(method):
                    await Reply(context, QuayState(quayFaults));
                    return true;
                case "/sandbox/faults/quay-api/errors" when HttpMethods.IsPost(method):
                    quayFaults.AddError(await Read<QuayApiErrorFault>(context));
                    await Reply(context, QuayState(quayFaults));
                    return true;
                case "/sandbox/faults/quay-api/hangs" when HttpMethods.IsPost(method):
                    var hang = await Read<HangRequest>(context);
                    quayFaults.AddHang(hang.PathPrefix, hang.AnswerLost);
                    await Reply(context, QuayState(quayFaults));
                    return true;
                case "/sandbox/clock/advance" when HttpMethods.IsPost(method):
                    var seconds = double.Parse(context.Request.Query["seconds"].FirstOrDefault() ?? "0", System.Globalization.CultureInfo.InvariantCulture);
                    simulation.Clock.Advance(TimeSpan.FromSeconds(seconds));
                    await Reply(context, new { offsetSeconds = simulation.Clock.Offset.TotalSeconds });
                    return true;
                case "/sandbox/quay/revoke-tokens" when HttpMethods.IsPost(method):
                    var revoked = simulation.Api.RevokeTokens(context.Request.Query["registry"].FirstOrDefault());
                    await Reply(context, new { revoked });
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException)
        {
            await Reply(context, new { error = ex.Message }, StatusCodes.Status400BadRequest);
            return true;
        }
    }

    private static object OperatorState(OperatorFaults faults) => new { crashLoops = faults.CrashLoops, failedMigrations = faults.FailedMigrations };

    private static object QuayState(QuayApiFaults faults) => new { errors = faults.Errors, hangs = faults.Hangs };

    private static async Task<T> Read<T>(HttpContext context) =>
        await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Json, context.RequestAborted)
        ?? throw new JsonException("A JSON body is required.");

    private static Task Reply(HttpContext context, object body, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, Json, context.RequestAborted);
    }
}
