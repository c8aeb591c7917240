using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Model;

internal sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<WebhookSubscription>
{
    public void Configure(EntityTypeBuilder<WebhookSubscription> builder)
    {
        builder.ToTable("webhook_subscriptions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Tenant).HasMaxLength(63);
        builder.Property(s => s.Url).HasMaxLength(2048);
        builder.Property(s => s.Kind).HasMaxLength(20);
        builder.Property(s => s.DisabledReason).HasMaxLength(500);
        builder.Property(s => s.AuthSummary).HasJsonConversion();
        builder.Property(s => s.ServiceNow).HasJsonConversion();
        builder.HasIndex(s => new { s.Tenant, s.Id });
    }
}

internal sealed class WebhookEventConfiguration : IEntityTypeConfiguration<WebhookEvent>
{
    public void Configure(EntityTypeBuilder<WebhookEvent> builder)
    {
        builder.ToTable("webhook_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.EventId).HasMaxLength(40);
        builder.Property(e => e.Tenant).HasMaxLength(63);
        builder.Property(e => e.Type).HasMaxLength(40);
        // text, not jsonb: the body must go out byte for byte as signed, with its key order.
        builder.Property(e => e.Payload).HasColumnType("text");
        // No index on EventId: nothing looks an event up by it, and it is unique by construction (a version 7 UUID).
        // The dispatcher's work list: only undispatched rows are in this index.
        builder.HasIndex(e => e.Id).HasDatabaseName("ix_webhook_events_undispatched").HasFilter("dispatched_at IS NULL");
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.MessageId).HasMaxLength(40);
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
        // Constraint names as they were when the context named its sets (they derive from the principal's set name).
        builder.HasOne(d => d.Event).WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_webhook_deliveries_webhook_events_event_id");
        builder.HasOne<WebhookSubscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_webhook_deliveries_webhook_subscriptions_subscription_id");
        builder.HasMany(d => d.Attempts).WithOne().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        // The head of each ordered queue, and the sweep's due work.
        builder.HasIndex(d => new { d.SubscriptionId, d.OrderingKey, d.Status, d.EventId });
        builder.HasIndex(d => d.NextAttemptAt).HasFilter("status = 'Pending'");
        builder.HasIndex(d => new { d.SubscriptionId, d.Id });
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> builder)
    {
        builder.ToTable("webhook_attempts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Error).HasMaxLength(1000);
        builder.HasIndex(a => new { a.DeliveryId, a.Id });
    }
}

internal sealed class WebhookTicketLinkConfiguration : IEntityTypeConfiguration<WebhookTicketLink>
{
    public void Configure(EntityTypeBuilder<WebhookTicketLink> builder)
    {
        builder.ToTable("webhook_ticket_links");
        builder.HasKey(l => new { l.SubscriptionId, l.RegistryId });
        builder.Property(l => l.ExternalId).HasMaxLength(100);
        builder.HasOne<WebhookSubscription>().WithMany().HasForeignKey(l => l.SubscriptionId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_webhook_ticket_links_webhook_subscriptions_subscription_id");
    }
}
