using System.Net.Http.Headers;
using System.Text;
using QuayGateway.Hosting;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Senders;

/// <summary>
/// The HTTP part all senders share: the guarded client (SSRF check on connect, no redirects, no proxy, 10 s timeout),
/// Standard Webhooks headers, and turning answers and failures into a <see cref="SendOutcome"/>.
/// </summary>
public sealed class WebhookHttp(IHttpClientFactory clients, WebhookOptions options)
{
    public const string ClientName = "QuayGateway.Webhooks";
    private const int MaxBodyChars = 64 * 1024;
    private const int MaxErrorBodyChars = 300;
    private static readonly ProductInfoHeaderValue UserAgent = new("QuayGateway-Webhooks", "1.0");

    /// <summary>A POST of <paramref name="body"/> with <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature</c>.</summary>
    public static HttpRequestMessage SignedPost(OutgoingMessage message, string body)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, message.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.IdHeader, message.MessageId);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Header(message.Secrets, message.MessageId, timestamp, body));
        return request;
    }

    public async Task<(SendOutcome Outcome, string Body)> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Headers.UserAgent.Add(UserAgent);
        var client = clients.CreateClient(ClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var body = await ReadLimitedAsync(response.Content, ct);
            var status = (int)response.StatusCode;
            var retryAfter = status is 429 or 503 ? RetryAfter(response.Headers.RetryAfter) : null;
            var error = response.IsSuccessStatusCode
                ? null
                : $"HTTP {status} {response.ReasonPhrase}{(body.Length > 0 ? ": " + Truncate(body, MaxErrorBodyChars) : "")}";
            return (new SendOutcome(status, error, retryAfter), body);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (new SendOutcome(null, $"No response within {options.Timeout.TotalSeconds:0.#} s."), "");
        }
        catch (HttpRequestException e)
        {
            var refused = e.InnerException as DestinationRefusedException ?? e.InnerException?.InnerException as DestinationRefusedException;
            return (new SendOutcome(null, refused?.Message ?? $"Request failed: {e.Message}"), "");
        }
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is null)
        {
            return null;
        }

        return delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay > options.MaxRetryAfter ? options.MaxRetryAfter : delay;
    }

    private static async Task<string> ReadLimitedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[MaxBodyChars];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
        return new string(buffer, 0, read);
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
