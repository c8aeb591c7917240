using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Quay;

/// <summary>What Quay answered: its status code and body, as sent.</summary>
/// <param name="Status">Quay's HTTP status code.</param>
/// <param name="Body">Quay's response body, as sent.</param>
/// <param name="Location">The <c>Location</c> header (the 302 of <c>/oauth/authorizeapp</c> carries the token there).</param>
/// <param name="Cookie">The session cookie Quay set (<c>name=value</c>), for the calls of a session.</param>
/// <param name="NextCsrfToken">Quay's <c>X-Next-CSRF-Token</c> header.</param>
public sealed record QuayAnswer(int Status, string Body, string? Location = null, string? Cookie = null, string? NextCsrfToken = null)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public JsonNode? Json
    {
        get
        {
            try
            {
                return JsonNode.Parse(Body);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>Quay's own words: <c>message</c> (Flask aborts), <c>detail</c> (ApiError) or <c>error</c> (CSRF, 404).</summary>
    public string Message =>
        Json is JsonObject o
            ? (string?)o["message"] ?? (string?)o["detail"] ?? (string?)o["error_message"] ?? (string?)o["error"] ?? Body.Trim()
            : Body.Trim();

    /// <summary>
    /// Quay's answer to a token it does not accept: an expired or invalid token is treated as anonymous, so a POST
    /// gets the CSRF 403 and a superuser read gets 401 <c>invalid_token</c>.
    /// </summary>
    public bool TokenRejected =>
        Status == 401 || (Status == 403 && Message.Contains("CSRF", StringComparison.Ordinal));
}
