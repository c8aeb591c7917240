using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class quayorgs_RobotsAndTeams : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "quay_robots",
                schema: "gateway",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    registry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    short_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    protected_token = table.Column<string>(type: "text", nullable: true),
                    created_by_gateway = table.Column<bool>(type: "boolean", nullable: false),
                    pull_secrets = table.Column<string>(type: "jsonb", nullable: false),
                    written_pull_secrets = table.Column<string>(type: "jsonb", nullable: false),
                    deleted = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    token_updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_quay_robots", x => x.id);
                    table.ForeignKey(
                        name: "fk_quay_robots_registry_registry_id",
                        column: x => x.registry_id,
                        principalSchema: "gateway",
                        principalTable: "registries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "quay_teams",
                schema: "gateway",
                columns: table => new
                {
                    registry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    created_by_gateway = table.Column<bool>(type: "boolean", nullable: false),
                    role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    members = table.Column<string>(type: "jsonb", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_quay_teams", x => new { x.registry_id, x.organization, x.name });
                    table.ForeignKey(
                        name: "fk_quay_teams_registry_registry_id",
                        column: x => x.registry_id,
                        principalSchema: "gateway",
                        principalTable: "registries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_quay_robots_registry_id_organization_short_name",
                schema: "gateway",
                table: "quay_robots",
                columns: new[] { "registry_id", "organization", "short_name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "quay_robots",
                schema: "gateway");

            migrationBuilder.DropTable(
                name: "quay_teams",
                schema: "gateway");
        }
    }
}
