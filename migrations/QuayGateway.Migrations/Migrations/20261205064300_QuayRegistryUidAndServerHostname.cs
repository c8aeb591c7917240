using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class QuayRegistryUidAndServerHostname : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "applied_server_hostname",
                schema: "gateway",
                table: "registries",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "quay_registry_uid",
                schema: "gateway",
                table: "registries",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "applied_server_hostname",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "quay_registry_uid",
                schema: "gateway",
                table: "registries");
        }
    }
}
