using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Model;

/// <summary>The webhook model's tables, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class WebhookTables
{
    extension(GatewayDb db)
    {
        public DbSet<WebhookSubscription> WebhookSubscriptions => db.Set<WebhookSubscription>();

        public DbSet<WebhookEvent> WebhookEvents => db.Set<WebhookEvent>();

        public DbSet<WebhookDelivery> WebhookDeliveries => db.Set<WebhookDelivery>();

        public DbSet<WebhookAttempt> WebhookAttempts => db.Set<WebhookAttempt>();

        public DbSet<WebhookTicketLink> WebhookTicketLinks => db.Set<WebhookTicketLink>();
    }
}
