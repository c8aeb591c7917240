using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Sandbox.Operator;
using QuayGateway.Sandbox.QuayTls;

namespace QuayGateway.Sandbox;

/// <summary>
/// A running sandbox cluster: a Kubernetes-API-compatible HTTPS server on 127.0.0.1 over an in-memory
/// <see cref="ObjectStore"/> (kept in <see cref="SandboxOptions.StateDirectory"/> when one is given). Its certificate
/// comes from the sandbox's own CA, which the kubeconfig carries as <c>certificate-authority-data</c>; plain HTTP only
/// with <see cref="SandboxOptions.PlainHttp"/>. The same port is an HTTP proxy to the registries' Quay APIs:
/// <c>CONNECT &lt;quay host&gt;:443</c> (plain, as to any proxy) opens a tunnel to HTTPS served with a certificate from
/// the same CA (<see cref="QuayCaPem"/>, <see cref="QuayCaPath"/>). Bearer tokens name users and service accounts,
/// authorized by RBAC (<see cref="Authorization"/>); the kubeconfig's own user is a cluster admin.
/// </summary>
public sealed class SandboxCluster : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly QuaySimulation? _quay;
    private readonly SandboxCertificateAuthority _ca;
    private readonly SandboxState? _state;

    private SandboxCluster(
        SandboxOptions options, WebApplication app, ObjectStore store, SandboxFaults faults, SandboxRequestCounter requests, QuaySimulation? quay,
        SandboxCertificateAuthority ca, SandboxState? state, SandboxAuthorization authorization)
    {
        _state = state;
        Options = options;
        Authorization = authorization;
        _app = app;
        Store = store;
        Faults = faults;
        Requests = requests;
        _quay = quay;
        _ca = ca;
    }

    public SandboxOptions Options { get; }

    /// <summary>
    /// The HTTP proxy (<c>CONNECT</c>) to reach the registries' Quay routes through: the API server's own port,
    /// as a plain-HTTP proxy, <c>http://127.0.0.1:{port}</c>.
    /// </summary>
    public Uri QuayProxyUrl { get; private set; } = null!;

    /// <summary>
    /// The PEM of the sandbox's CA: it issues the API server's certificate and the Quay hosts'. Made fresh at every
    /// start, or kept in the state folder.
    /// </summary>
    public string QuayCaPem => _ca.CertificatePem;

    /// <summary>The same CA as <see cref="QuayCaPem"/>: what a client of the API server trusts.</summary>
    public string CaPem => _ca.CertificatePem;

    /// <summary>
    /// A handler for raw HTTP to the API server that trusts the sandbox's CA and nothing else, with full
    /// verification (chain and host name), as a client given the kubeconfig's <c>certificate-authority-data</c> does.
    /// </summary>
    public HttpMessageHandler CreateApiHandler()
    {
        var trust = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(CaPem);
        return new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
                {
                    TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { trust },
                    RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                },
            },
        };
    }

    /// <summary>
    /// An <see cref="HttpClient"/> on <see cref="CreateApiHandler"/> with <see cref="ApiServerUrl"/> as its base
    /// address, sending <paramref name="token"/> as its bearer token: by default the admin kubeconfig's, as kubectl
    /// does; null sends no credentials (<c>system:anonymous</c> over HTTPS).
    /// </summary>
    public HttpClient CreateApiClient(string? token = SandboxAuthorization.AdminToken)
    {
        var client = new HttpClient(CreateApiHandler()) { BaseAddress = ApiServerUrl };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The state writer, when <see cref="SandboxOptions.StateDirectory"/> is set (the state benchmark times its writes).</summary>
    internal SandboxState? State => _state;

    /// <summary>The state folder, when <see cref="SandboxOptions.StateDirectory"/> is set.</summary>
    public string? StateDirectory => _state?.Directory;

    /// <summary>
    /// Where <see cref="QuayCaPem"/> was written: <c>&lt;kubeconfig path&gt;.quay-ca.pem</c>, next to the kubeconfig;
    /// null when no kubeconfig path was given.
    /// </summary>
    public string? QuayCaPath { get; private set; }

    /// <summary><c>https://127.0.0.1:{port}</c> (<c>http://</c> with <see cref="SandboxOptions.PlainHttp"/>).</summary>
    public Uri ApiServerUrl { get; private set; } = null!;

    /// <summary>A kubeconfig whose cluster, context and user are named <see cref="SandboxOptions.Name"/>.</summary>
    public string KubeconfigYaml { get; private set; } = "";

    public ObjectStore Store { get; }

    public SandboxFaults Faults { get; }

    public SandboxRequestCounter Requests { get; }

    /// <summary>Tokens, RBAC and the record of authorization decisions.</summary>
    public SandboxAuthorization Authorization { get; }

    /// <summary>
    /// The chart's ClusterRole (<c>chart/quay-gateway/templates/clusterrole.yaml</c>, embedded in this assembly at
    /// build, rendered), for <see cref="SandboxOptions.GatewayRoleManifest"/>. Throws when the build had no
    /// <c>chart/</c> folder, as the container image's has not.
    /// </summary>
    public static string ChartGatewayRoleManifest => GatewayRole.ChartManifest
        ?? throw new InvalidOperationException("This build of the sandbox does not carry the chart's ClusterRole (built without chart/quay-gateway): give the gateway's RBAC manifest explicitly (Gateway:Sandbox:GatewayRoleManifest).");

    /// <summary>The gateway's service account, when <see cref="SandboxOptions.GatewayRoleManifest"/> was given.</summary>
    public static UserInfo GatewayIdentity { get; } = UserInfo.ServiceAccount("quay-gateway", "quay-gateway");

    /// <summary>The kubeconfig context that acts as <see cref="GatewayIdentity"/>; null without a gateway role.</summary>
    public string? GatewayContext { get; private set; }

    /// <summary>The bearer token of <see cref="GatewayIdentity"/>; null without a gateway role.</summary>
    public string? GatewayToken { get; private set; }

    /// <summary>The simulated Quay Operator and Quay APIs; absent when <see cref="SandboxOptions.SimulateOperator"/> is false.</summary>
    public QuaySimulation Quay => _quay ?? throw new InvalidOperationException("This sandbox cluster runs no Quay simulation.");

    public static async Task<SandboxCluster> StartAsync(SandboxOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // First, so a second sandbox on the same folder stops here, before it changes anything.
        var state = options.StateDirectory is { } stateDirectory ? SandboxState.Open(stateDirectory) : null;
        try
        {
            return await StartCoreAsync(options, state, ct);
        }
        catch
        {
            if (state is not null) await state.DisposeAsync();
            throw;
        }
    }

    private static async Task<SandboxCluster> StartCoreAsync(SandboxOptions options, SandboxState? state, CancellationToken ct)
    {
        var store = new ObjectStore(options.WatchHistoryLimit, timeProvider: null,
            quayRegistrySchema: options.Profile == "3.6" ? QuayRegistrySchema.Legacy36 : QuayRegistrySchema.Instance);
        var faults = new SandboxFaults();
        var requests = new SandboxRequestCounter();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(SandboxCluster).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        // Hosted in-process (gateway, tests): Ctrl+C and SIGTERM belong to the host process, not to the sandbox.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(faults);

        // ===== Operator and Quay API wiring (owned by the Operator/QuayApi engineer) =====
        // The operator runs as a hosted service; /sandbox/faults/operator, /sandbox/faults/quay-api and /sandbox/clock
        // are served by a startup filter ahead of this pipeline. The Quay API itself is served only over HTTPS (below).
        var quay = options.SimulateOperator
            ? QuaySimulation.AddTo(builder.Services, store, faults, new QuayOperatorSettings(options.Profile, options.PhaseDelay, options.AppsDomain, options.QuayVersion))
            : null;
        // ===== end of wiring =====
        state?.Load(store, quay);

        // Quay over HTTPS, the only way to reach it: the API port answers CONNECT for the hosts a Quay serves
        // (QuayApiSimulator.Serves) and tunnels to a second, loopback-only listener that serves the Quay API with the
        // CA's certificates. Plain requests on the API port never reach Quay, whatever their Host header says.
        var ca = SandboxState.LoadOrCreateCa(options.Name, state);
        bool ServesQuayHost(string host) => quay?.Api.Serves(host) == true;
        var tunnel = new ConnectTunnel(ServesQuayHost, requireTls: !options.PlainHttp);
        RequestDelegate quayRequests = quay is null ? context => QuayNotFound(context) : quay.Api.HandleAsync;
        // First of the startup filters, so requests from a tunnel go to Quay before the admin endpoints or the
        // Kubernetes API see them.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IStartupFilter>(new QuayTlsRequests(tunnel, quayRequests)));
        ListenOptions? apiListener = null, quayListener = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                apiListener = listen;
                // CONNECT first, in plain text as to any proxy; everything else is the API server, over TLS.
                listen.Use(tunnel.Intercept);
                if (!options.PlainHttp) listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => ca.ApiServerCertificate());
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                quayListener = listen;
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(https => https.ServerCertificateSelector = (_, host) =>
                    host is not null && ServesQuayHost(host) ? ca.ServerCertificate(host) : null);
            });
        });

        var app = builder.Build();
        var authorization = new SandboxAuthorization(store, options.AnonymousActsAsAdmin);
        var cluster = new SandboxCluster(options, app, store, faults, requests, quay, ca, state, authorization);
        var printer = new TablePrinter(store.Time);
        var api = new KubernetesApi(store, faults, requests, printer, new WatchStream(store, faults, printer, options.BookmarkInterval), authorization);
        if (options.GatewayRoleManifest is { } manifest)
        {
            GatewayRole.Bind(store, manifest, GatewayIdentity);
            cluster.GatewayToken = authorization.IssueToken(GatewayIdentity);
            cluster.GatewayContext = $"{options.Name}-gateway";
        }

        app.Use(async (context, next) =>
        {
            // Resource requests are counted by KubernetesApi, by verb and resource; everything else here is discovery.
            var path = context.Request.Path.Value ?? "";
            if (!context.Request.Path.StartsWithSegments("/sandbox") && ApiPath.Parse(path) is null) requests.Add("get", "discovery");
            await next(context);
        });
        Discovery.Map(app, () => cluster.ApiServerUrl.Authority);
        OpenApi.Map(app);
        FaultsAdminApi.Map(app, faults);
        // The request counts by verb and resource, for a benchmark that runs the sandbox as its own process.
        app.MapGet("/sandbox/requests", () => TypedResults.Ok(requests.Snapshot()));
        app.Map("/api/{**rest}", api.HandleAsync);
        app.Map("/apis/{**rest}", api.HandleAsync);

        await app.StartAsync(ct);
        // Kestrel puts the bound port (port 0 picks one) back into each listener's endpoint.
        var apiPort = apiListener!.IPEndPoint!.Port;
        tunnel.SetTargetPort(quayListener!.IPEndPoint!.Port);
        cluster.ApiServerUrl = new Uri($"{(options.PlainHttp ? "http" : "https")}://127.0.0.1:{apiPort}");
        cluster.QuayProxyUrl = new Uri($"http://127.0.0.1:{apiPort}");
        cluster.KubeconfigYaml = Kubeconfig(options.Name, cluster.ApiServerUrl, options.PlainHttp ? null : ca.CertificatePem,
            GatewayEntries(options.Name, cluster.GatewayToken));
        state?.Start(store, quay);
        if (options.KubeconfigPath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, cluster.KubeconfigYaml, ct);
            cluster.QuayCaPath = Path.GetFullPath(path) + ".quay-ca.pem";
            await File.WriteAllTextAsync(cluster.QuayCaPath, cluster.QuayCaPem, ct);
        }
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        Faults.CloseWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_state is not null) await _state.DisposeAsync();
        _ca.Dispose();
    }

    private static Task QuayNotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private sealed class EmbeddedLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static string Kubeconfig(string name, Uri server, string? caPem, (string Context, string User) gateway) => $$"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {{name}}
          cluster:
            server: {{server.GetLeftPart(UriPartial.Authority)}}{{(caPem is null ? "" : $"\n    certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(caPem))}")}}
        contexts:
        - name: {{name}}
          context:
            cluster: {{name}}
            user: {{name}}
            namespace: default
        {{gateway.Context}}current-context: {{name}}
        users:
        - name: {{name}}
          user:
            token: {{SandboxAuthorization.AdminToken}}
        {{gateway.User}}preferences: {}

        """;

    /// <summary>The gateway's context and user (its service account token), as one more item of each list.</summary>
    private static (string Context, string User) GatewayEntries(string name, string? token) => token is null ? ("", "") : (
        $"- name: {name}-gateway\n  context:\n    cluster: {name}\n    user: {name}-gateway\n    namespace: default\n",
        $"- name: {name}-gateway\n  user:\n    token: {token}\n");
}
