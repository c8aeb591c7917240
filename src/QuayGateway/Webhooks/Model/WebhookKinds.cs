namespace QuayGateway.Webhooks.Model;

/// <summary>What a subscription talks to: a Standard Webhooks receiver, a Jira Automation rule or ServiceNow's Table API.</summary>
public static class WebhookKinds
{
    public const string Standard = "standard";
    public const string Jira = "jira";
    public const string ServiceNow = "servicenow";

    public static readonly IReadOnlyList<string> All = [Standard, Jira, ServiceNow];
}
