using System.Net.Http.Headers;
using Polly.CircuitBreaker;
using Polly.Timeout;
using QuayGateway.Hosting;

namespace QuayGateway.Quay;

/// <summary>
/// The Quay API calls the gateway makes (reference quay-app/NOTES.md). Answers come back as they are; calls that get
/// no answer throw <see cref="QuayCallException"/>, saying whether Quay may have acted on them.
/// Timeouts and retries of reads come from the resilience pipeline set up in <see cref="QuaySetup"/>.
/// </summary>
public sealed partial class QuayClient(HttpClient http, QuayMetrics metrics)
{
    /// <summary>Quay's OAuth tokens from user/initialize expire after 9000 s.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(9000);

    public Task<QuayAnswer> InitializeUserAsync(QuayTarget target, string username, string password, string email, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, "api/v1/user/initialize", token: null,
            JsonContent.Create(new { username, password, email, access_token = true }), ct);

    public Task<QuayAnswer> ListSuperusersAsync(QuayTarget target, string token, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, "api/v1/superuser/users/", token, content: null, ct);

    public Task<QuayAnswer> CreateOrganizationAsync(QuayTarget target, string token, string name, string? email, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, "api/v1/organization/", token,
            JsonContent.Create(email is null ? new Dictionary<string, string> { ["name"] = name } : new() { ["name"] = name, ["email"] = email }), ct);

    public Task<QuayAnswer> GetOrganizationAsync(QuayTarget target, string token, string name, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, "api/v1/organization/" + Uri.EscapeDataString(name), token, content: null, ct);

    /// <summary>An OAuth application of an organization (<c>POST /api/v1/organization/{org}/applications</c>); 200 with its view.</summary>
    public Task<QuayAnswer> CreateApplicationAsync(QuayTarget target, QuayAuth auth, string org, string name, string description, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, $"api/v1/organization/{Uri.EscapeDataString(org)}/applications", auth,
            JsonContent.Create(new { name, description }), ct);

    public Task<QuayAnswer> ListApplicationsAsync(QuayTarget target, QuayAuth auth, string org, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, $"api/v1/organization/{Uri.EscapeDataString(org)}/applications", auth, content: null, ct);

    public Task<QuayAnswer> CreateOrganizationAsync(QuayTarget target, QuayAuth auth, string name, string? email, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, "api/v1/organization/", auth,
            JsonContent.Create(email is null ? new Dictionary<string, string> { ["name"] = name } : new() { ["name"] = name, ["email"] = email }), ct);

    public Task<QuayAnswer> GetOrganizationAsync(QuayTarget target, QuayAuth auth, string name, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, "api/v1/organization/" + Uri.EscapeDataString(name), auth, content: null, ct);

    /// <summary>Quay 3.18+: <c>POST /api/v1/organization/{org}/applications/{client_id}/tokens</c>; 200 with the token, once.</summary>
    public Task<QuayAnswer> MintApplicationTokenAsync(QuayTarget target, QuayAuth auth, string org, string clientId, string name, string scope, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, $"api/v1/organization/{Uri.EscapeDataString(org)}/applications/{Uri.EscapeDataString(clientId)}/tokens", auth,
            JsonContent.Create(new { name, scope }), ct);

    /// <summary>The user the token acts as (<c>GET /api/v1/user/</c>): how a supplied token is checked.</summary>
    public Task<QuayAnswer> GetUserAsync(QuayTarget target, QuayAuth auth, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, "api/v1/user/", auth, content: null, ct);

    /// <summary><c>GET /csrf_token</c>: a CSRF token and the session cookie that holds it.</summary>
    public Task<QuayAnswer> GetCsrfTokenAsync(QuayTarget target, string? cookie, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, "csrf_token", cookie is null ? null : new QuayAuth(null, cookie, null), content: null, ct);

    /// <summary><c>POST /api/v1/signin</c> in the session of <paramref name="session"/> (its cookie and CSRF token).</summary>
    public Task<QuayAnswer> SigninAsync(QuayTarget target, QuayAuth session, string username, string password, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, "api/v1/signin", session, JsonContent.Create(new { username, password }), ct);

    /// <summary>
    /// <c>POST /oauth/authorizeapp</c> with Basic credentials, the session's CSRF token and <c>response_type=token</c>: Quay
    /// answers 302 with the token in the <c>Location</c> fragment.
    /// </summary>
    public Task<QuayAnswer> AuthorizeApplicationAsync(
        QuayTarget target, string cookie, string csrfToken, string username, string password, string clientId, string scope, CancellationToken ct)
    {
        var redirect = new Uri(target.Endpoint, "oauth/localapp").ToString();
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf_token"] = csrfToken, ["client_id"] = clientId, ["scope"] = scope, ["response_type"] = "token", ["redirect_uri"] = redirect,
        });
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{username}:{password}"));
        return SendAsync(target, HttpMethod.Post, "oauth/authorizeapp", new QuayAuth(null, cookie, null, basic), form, ct);
    }

    private Task<QuayAnswer> SendAsync(QuayTarget target, HttpMethod method, string path, string? token, HttpContent? content, CancellationToken ct) =>
        SendAsync(target, method, path, token is null ? null : QuayAuth.Bearer(token), content, ct);

    private async Task<QuayAnswer> SendAsync(
        QuayTarget target, HttpMethod method, string path, QuayAuth? auth, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(target.Endpoint, path)) { Content = content };
        request.Options.Set(QuayTarget.ClusterOption, target.Cluster);
        if (auth?.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (auth?.Basic is { } basic)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }

        if (auth?.Cookie is { } cookie)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (auth?.CsrfToken is { } csrf)
        {
            request.Headers.Add("X-CSRF-Token", csrf);
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            var setCookie = response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.FirstOrDefault()?.Split(';')[0] : null;
            var nextCsrf = response.Headers.TryGetValues("X-Next-CSRF-Token", out var next) ? next.FirstOrDefault() : null;
            var answer = new QuayAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct),
                response.Headers.Location?.OriginalString, setCookie, nextCsrf);
            metrics.Count(target.Cluster, answer);
            return answer;
        }
        catch (Exception) when (!ct.IsCancellationRequested && Counted(target))
        {
            throw; // never: Counted counts the call that got no answer and returns false
        }
        catch (TimeoutRejectedException e)
        {
            throw new QuayCallException($"Quay at {target.Endpoint.Authority} did not answer in time.", timedOut: true, maybeDelivered: true, e);
        }
        catch (BrokenCircuitException e)
        {
            throw new QuayCallException($"Quay at {target.Endpoint.Authority} is failing; calls are paused for a moment.", timedOut: false, maybeDelivered: false, e);
        }
        catch (HttpRequestException e) when (e.InnerException is DestinationRefusedException refused)
        {
            throw new QuayCallException($"Quay at {target.Endpoint.Authority} was not called: {refused.Message}", timedOut: false, maybeDelivered: false, e, refused: true);
        }
        catch (HttpRequestException e)
        {
            // Only a connection that never came up proves the request was not received.
            var notSent = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                or HttpRequestError.SecureConnectionError;
            throw new QuayCallException($"Quay at {target.Endpoint.Authority} could not be reached: {e.Message}", timedOut: false, maybeDelivered: !notSent, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new QuayCallException($"Quay at {target.Endpoint.Authority} did not answer in time.", timedOut: true, maybeDelivered: true, e);
        }
    }

    private bool Counted(QuayTarget target)
    {
        metrics.Count(target.Cluster, answer: null);
        return false;
    }
}

/// <summary>
/// How a call authenticates: a bearer token, or a Quay session (its cookie and CSRF token), optionally with Basic
/// credentials (only <c>/oauth/authorizeapp</c> takes those).
/// </summary>
public sealed record QuayAuth(string? Token, string? Cookie, string? CsrfToken, string? Basic = null)
{
    public static QuayAuth Bearer(string token) => new(token, null, null);

    /// <summary>Never the secrets.</summary>
    public override string ToString() => Token is not null ? "bearer" : "session";
}
