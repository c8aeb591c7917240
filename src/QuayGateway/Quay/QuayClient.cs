using System.Net.Http.Headers;
using System.Net.Http.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;
using QuayGateway.Hosting;

namespace QuayGateway.Quay;

/// <summary>
/// The Quay API calls the gateway makes (reference quay-app/NOTES.md). Answers come back as they are; calls that get
/// no answer throw <see cref="QuayCallException"/>, saying whether Quay may have acted on them.
/// Timeouts and retries of reads come from the resilience pipeline set up in <see cref="QuaySetup"/>.
/// </summary>
public sealed partial class QuayClient(HttpClient http)
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

    private async Task<QuayAnswer> SendAsync(
        QuayTarget target, HttpMethod method, string path, string? token, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(target.Endpoint, path)) { Content = content };
        request.Options.Set(QuayTarget.ClusterOption, target.Cluster);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            return new QuayAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
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
}
