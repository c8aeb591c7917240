namespace QuayGateway.Sandbox.QuayTls;

/// <summary>
/// Runs first in the pipeline. Requests that reached the Quay HTTPS listener (through a <see cref="ConnectTunnel"/>)
/// go to the Quay API and nowhere else, so no tunnel reaches the Kubernetes API or the admin endpoints. A CONNECT
/// that arrives as an ordinary request, not as the first bytes of its connection, is refused.
/// </summary>
internal sealed class QuayTlsRequests(ConnectTunnel tunnel, RequestDelegate quayApi) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            if (context.Connection.LocalPort == tunnel.TargetPort)
            {
                await quayApi(context);
            }
            else if (HttpMethods.IsConnect(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                context.Response.Headers.Connection = "close";
                await context.Response.WriteAsync("CONNECT must be the first request on a new connection.\n", context.RequestAborted);
            }
            else
            {
                await nextMiddleware(context);
            }
        });
        next(app);
    };
}
