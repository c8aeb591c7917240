using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class readssize_ListAndStatusIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_id",
                schema: "gateway",
                table: "registries");

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_cluster_created_at_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "cluster", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_cluster_state_created_at_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "cluster", "state", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_name_needs_attention",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "name" },
                filter: "state <> 'Deleted' AND (state IN ('Blocked', 'Degraded', 'Failed') OR health = 'Degraded' OR health = 'Missing')");

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_namespace_created_at_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "namespace", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_state_created_at_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "state", "created_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_cluster_created_at_id",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_cluster_state_created_at_id",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_name_needs_attention",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_namespace_created_at_id",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropIndex(
                name: "ix_registries_tenant_state_created_at_id",
                schema: "gateway",
                table: "registries");

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "id" });
        }
    }
}
