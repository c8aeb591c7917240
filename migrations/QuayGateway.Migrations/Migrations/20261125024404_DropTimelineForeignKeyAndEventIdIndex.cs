using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class DropTimelineForeignKeyAndEventIdIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Two checks every create paid for and nothing needed (measured: about 15% of the create's PostgreSQL
            // time): the timeline's key to registries (registries are never deleted; Deleted is a state) and the
            // unique index on webhook event ids (unique by construction, and never looked up).
            migrationBuilder.DropForeignKey(
                name: "fk_registry_events_registries_registry_id",
                schema: "gateway",
                table: "registry_events");

            migrationBuilder.DropIndex(
                name: "ix_webhook_events_event_id",
                schema: "gateway",
                table: "webhook_events");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_webhook_events_event_id",
                schema: "gateway",
                table: "webhook_events",
                column: "event_id",
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "fk_registry_events_registries_registry_id",
                schema: "gateway",
                table: "registry_events",
                column: "registry_id",
                principalSchema: "gateway",
                principalTable: "registries",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
