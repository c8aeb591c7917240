using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class RegistryPlacementIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_registries_cluster_namespace_tenant",
                schema: "gateway",
                table: "registries",
                columns: new[] { "cluster", "namespace", "tenant" },
                filter: "state <> 'Deleted'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_registries_cluster_namespace_tenant",
                schema: "gateway",
                table: "registries");
        }
    }
}
