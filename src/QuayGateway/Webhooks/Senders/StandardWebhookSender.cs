using System.Net.Http.Headers;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Senders;

/// <summary>A Standard Webhooks receiver: the event payload as is, signed; an optional bearer token.</summary>
public sealed class StandardWebhookSender(WebhookHttp http) : IWebhookSender
{
    public string Kind => WebhookKinds.Standard;

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        using var request = WebhookHttp.SignedPost(message, message.Event.Payload);
        if (message.Auth?.BearerToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return (await http.SendAsync(request, ct)).Outcome;
    }
}
