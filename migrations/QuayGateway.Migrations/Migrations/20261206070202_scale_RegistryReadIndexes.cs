using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class scale_RegistryReadIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_created_at_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_state_health",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "state", "health" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_created_at_id",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_state_health",
                schema: "gateway",
                table: "registries");
        }
    }
}
