using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <summary>
    /// Timeline entries are announced after their commit (QuayGateway.Registries.Model.TimelineAnnouncer), not by a
    /// trigger inside the writing transaction: a transaction that notifies takes PostgreSQL's one notification-queue
    /// lock at commit, so concurrent creates queued behind each other on it. The channel stays gateway_timeline.
    /// </summary>
    public partial class streams_TimelineAnnouncedAfterCommit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER timeline_inserted ON gateway.registry_events;
                DROP FUNCTION gateway.notify_timeline();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION gateway.notify_timeline() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('gateway_timeline', '');
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER timeline_inserted AFTER INSERT ON gateway.registry_events
                    FOR EACH STATEMENT EXECUTE FUNCTION gateway.notify_timeline();
                """);
        }
    }
}
