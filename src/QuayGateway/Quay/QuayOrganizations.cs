using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Quay;

/// <summary>Creates organizations in a registry's Quay with the stored token, for the API and the bootstrap alike.</summary>
public sealed class QuayOrganizations(GatewayDb db, QuayClient quay, QuayCredentials credentials, TimeProvider time, ILogger<QuayOrganizations> logger)
{
    private const string NameTaken = "already exists";

    /// <summary>Null when the organization exists afterwards (created now, or by an earlier call of ours); else why not.</summary>
    public async Task<QuayProblem?> CreateAsync(Registry registry, OrganizationSpec organization, CancellationToken ct)
    {
        var account = await db.QuayAccounts.FindAsync([registry.Id], ct);
        if (account is { Organizations: var done } && done.Contains(organization.Name))
        {
            return null;
        }

        // Creating an organization twice is harmless: a retry (or the renewal's second call) finds it and adopts it.
        var (answer, problem) = await credentials.CallAsync(registry, async (target, token) =>
        {
            var created = await quay.CreateOrganizationAsync(target, token, organization.Name, organization.Email, ct);
            return created.Status == 400 && created.Message.Contains(NameTaken, StringComparison.Ordinal)
                   && await IsOwnOrganizationAsync(target, token, organization.Name, ct)
                ? created with { Status = 201 }
                : created;
        }, ct);
        if (answer is null)
        {
            return problem;
        }

        if (!answer.IsSuccess)
        {
            return QuayProblem.FromAnswer(answer, $"create organization '{organization.Name}'");
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
            db.Record(registry, "QuayOrganizationCreated", "QuayOrganizationCreated", $"Created Quay organization '{organization.Name}'.", now);
            db.AddWebhookEvent(registry, WebhookEventTypes.QuayOrganizationCreated, now,
                new Dictionary<string, string> { ["organization"] = organization.Name });
            return true;
        }, CancellationToken.None);
        logger.LogInformation("Created Quay organization {Organization} for registry {RegistryId}", organization.Name, registry.Id);
        return null;
    }

    /// <summary>
    /// "Already exists" after a call whose answer was lost: the organization is ours when our user administers it.
    /// A user of that name, or someone else's organization, is not.
    /// </summary>
    private async Task<bool> IsOwnOrganizationAsync(QuayTarget target, string token, string name, CancellationToken ct)
    {
        var view = await quay.GetOrganizationAsync(target, token, name, ct);
        return view.IsSuccess && view.Json?["is_admin"]?.GetValue<bool>() == true;
    }
}
