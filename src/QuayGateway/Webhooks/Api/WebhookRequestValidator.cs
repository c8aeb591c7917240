using System.Text.RegularExpressions;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>Field rules for webhook bodies; every failure becomes an entry of the 400 problem's <c>errors</c>.</summary>
public static partial class WebhookRequestValidator
{
    public const int MaxUrlLength = 2048;

    [GeneratedRegex("^[a-z0-9_]{1,80}$")]
    private static partial Regex ServiceNowName();

    public static void Url(string? url, Dictionary<string, string[]> errors)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url!.Length > MaxUrlLength)
        {
            errors["url"] = [$"Give an absolute http or https URL of at most {MaxUrlLength} characters."];
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            errors["url"] = ["Put credentials in 'auth', not in the URL."];
        }
        else if (!string.IsNullOrEmpty(uri.Fragment))
        {
            errors["url"] = ["The URL may not have a fragment."];
        }
    }

    public static void Events(IReadOnlyList<string>? events, Dictionary<string, string[]> errors)
    {
        if (events is not { Count: > 0 })
        {
            errors["events"] = [$"Give one or more of: {string.Join(", ", WebhookEventTypes.All)}."];
            return;
        }

        var unknown = events.Where(e => !WebhookEventTypes.All.Contains(e)).ToList();
        if (unknown.Count > 0)
        {
            errors["events"] = [$"Unknown event types: {string.Join(", ", unknown)}. Known: {string.Join(", ", WebhookEventTypes.All)}."];
        }
    }

    /// <summary>What credentials each kind takes: Jira a token; ServiceNow basic or bearer; standard an optional bearer token.</summary>
    public static void Auth(string kind, WebhookAuth? auth, Dictionary<string, string[]> errors)
    {
        var basic = auth?.Username is not null || auth?.Password is not null;
        switch (kind)
        {
            case WebhookKinds.Jira when string.IsNullOrEmpty(auth?.Token) || basic || auth.BearerToken is not null:
                errors["auth"] = ["A jira webhook needs 'auth.token' (the rule's X-Automation-Webhook-Token) and nothing else."];
                break;
            case WebhookKinds.ServiceNow when auth is null
                                              || (basic && (string.IsNullOrEmpty(auth.Username) || string.IsNullOrEmpty(auth.Password)))
                                              || basic == auth.BearerToken is not null
                                              || auth.Token is not null:
                errors["auth"] = ["A servicenow webhook needs either 'auth.username' and 'auth.password' (basic) or 'auth.bearerToken' (OAuth)."];
                break;
            case WebhookKinds.Standard when auth is not null && (basic || auth.Token is not null || string.IsNullOrEmpty(auth.BearerToken)):
                errors["auth"] = ["A standard webhook is authenticated by its signature; 'auth' may only carry an optional 'bearerToken'."];
                break;
        }
    }

    public static void ServiceNow(string kind, ServiceNowSettings? settings, Dictionary<string, string[]> errors)
    {
        if (settings is null)
        {
            return;
        }

        if (kind != WebhookKinds.ServiceNow)
        {
            errors["serviceNow"] = ["Only a servicenow webhook takes 'serviceNow' settings."];
            return;
        }

        var names = new[] { settings.Table, settings.StateField }
            .Concat(settings.CreateFields?.Keys ?? []).Concat(settings.UpdateFields?.Keys ?? [])
            .Where(n => n is not null && !ServiceNowName().IsMatch(n))
            .ToList();
        if (names.Count > 0)
        {
            errors["serviceNow"] = [$"Table and field names are ServiceNow column names (a-z, 0-9, _): {string.Join(", ", names)}."];
        }
    }
}
