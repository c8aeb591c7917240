using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Quay;

/// <summary>What creating an organization came to.</summary>
/// <param name="Created">Made by this call (or adopted: made by an earlier call of ours whose answer was lost).</param>
/// <param name="Email">The e-mail Quay keeps for it, when this call learnt it; null when the gateway had it recorded already.</param>
public sealed record QuayOrganizationOutcome(bool Created, string? Email);

/// <summary>Creates organizations in a registry's Quay with the stored token, for the API and the bootstrap alike.</summary>
public sealed class QuayOrganizations(GatewayDb db, QuayClient quay, QuayCredentials credentials, TimeProvider time, ILogger<QuayOrganizations> logger)
{
    private const string NameTaken = "already exists";

    /// <summary>
    /// The organization exists afterwards (created now, or by an earlier call of ours): how, and with which e-mail
    /// when that was learnt; else why not. An organization that exists keeps its e-mail: it is not changed here.
    /// </summary>
    public async Task<(QuayOrganizationOutcome? Outcome, QuayProblem? Problem)> CreateAsync(Registry registry, OrganizationSpec organization, CancellationToken ct)
    {
        var account = await db.QuayAccounts.FindAsync([registry.Id], ct);
        if (account is { Organizations: var done } && done.Contains(organization.Name))
        {
            return (new QuayOrganizationOutcome(Created: false, Email: null), null);
        }

        // Creating an organization twice is harmless: a retry (or the renewal's second call) finds it and adopts it,
        // with the e-mail Quay kept for it.
        var email = organization.Email;
        var (answer, problem) = await credentials.CallAsync(registry, async (target, token) =>
        {
            var created = await quay.CreateOrganizationAsync(target, token, organization.Name, organization.Email, ct);
            if (created.Status == 400 && created.Message.Contains(NameTaken, StringComparison.Ordinal)
                && await OwnOrganizationEmailAsync(target, token, organization.Name, ct) is { } stored)
            {
                email = stored;
                return created with { Status = 201 };
            }

            return created;
        }, ct);
        if (answer is null)
        {
            return (null, problem);
        }

        if (!answer.IsSuccess)
        {
            return (null, QuayProblem.FromAnswer(answer, $"create organization '{organization.Name}'"));
        }

        account ??= (await db.QuayAccounts.FindAsync([registry.Id], ct))!;

        // The watch or a job may write the registry meanwhile: then record the organization on the fresh rows.
        await db.SaveWithRetryAsync(async (attempt, ct) =>
        {
            if (attempt > 0)
            {
                registry = await db.Registries.SingleAsync(r => r.Id == registry.Id, ct);
                account = (await db.QuayAccounts.FindAsync([registry.Id], ct))!;
            }

            var now = time.GetUtcNow();
            account.Organizations.Add(organization.Name);
            db.Record(registry, TimelineEntryType.QuayOrganizationCreated, "QuayOrganizationCreated", $"Created Quay organization '{organization.Name}'.", now);
            db.AddWebhookEvent(registry, WebhookEventTypes.QuayOrganizationCreated, now,
                new Dictionary<string, string> { ["organization"] = organization.Name });
            return true;
        }, CancellationToken.None);
        logger.LogInformation("Created Quay organization {Organization} for registry {RegistryId}", organization.Name, registry.Id);
        return (new QuayOrganizationOutcome(Created: true, email), null);
    }

    /// <summary>The e-mail Quay keeps for an organization our user administers (Quay shows it to admins only).</summary>
    public async Task<(string? Email, QuayProblem? Problem)> StoredEmailAsync(Registry registry, string name, CancellationToken ct)
    {
        var (view, problem) = await credentials.CallAsync(registry, (target, token) => quay.GetOrganizationAsync(target, token, name, ct), ct);
        if (view is null)
        {
            return (null, problem);
        }

        return view.IsSuccess ? ((string?)view.Json?["email"], null) : (null, QuayProblem.FromAnswer(view, $"read organization '{name}'"));
    }

    /// <summary>
    /// "Already exists" after a call whose answer was lost: the organization is ours when our user administers it,
    /// and then the e-mail Quay keeps for it is known. A user of that name, or someone else's organization, is not ours: null.
    /// </summary>
    private async Task<string?> OwnOrganizationEmailAsync(QuayTarget target, string token, string name, CancellationToken ct)
    {
        var view = await quay.GetOrganizationAsync(target, token, name, ct);
        return view.IsSuccess && view.Json?["is_admin"]?.GetValue<bool>() == true ? (string?)view.Json["email"] ?? "" : null;
    }
}
