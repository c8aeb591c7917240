using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class quayrobots_RefusedPullSecrets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "refused_pull_secrets",
                schema: "gateway",
                table: "quay_robots",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // existing robots have refused nothing yet (valid JSON: jsonb refuses "")
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "refused_pull_secrets",
                schema: "gateway",
                table: "quay_robots");
        }
    }
}
