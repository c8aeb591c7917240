using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <summary>
    /// Timeline entries in commit order (QuayGateway.Registries.Model.TimelineFeed). Ids are taken when a row is
    /// inserted, not when it commits, so a reader that resumes "after id N" can miss a lower id committed later. Each
    /// entry records the id of the transaction that wrote it (<c>xact_id</c>); a reader delivers only entries below the
    /// oldest transaction still running (<c>pg_snapshot_xmin</c>), in (xact_id, id) order, where nothing can appear
    /// any more. A statement-level trigger notifies channel gateway_timeline once per inserting statement; the
    /// notification leaves with the commit, and not at all on a rollback. The column is not in the EF model: only
    /// the timeline readers (plain SQL) use it, and every insert gets it from the default.
    /// </summary>
    public partial class streams_TimelineCommitOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE gateway.registry_events ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id();
                CREATE INDEX ix_registry_events_xact_id_id ON gateway.registry_events (xact_id, id);
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

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER timeline_inserted ON gateway.registry_events;
                DROP FUNCTION gateway.notify_timeline();
                DROP INDEX gateway.ix_registry_events_xact_id_id;
                ALTER TABLE gateway.registry_events DROP COLUMN xact_id;
                """);
        }
    }
}
