using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class WatchedWorkloads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "registry_workloads",
                schema: "gateway",
                columns: table => new
                {
                    registry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    workloads = table.Column<string>(type: "jsonb", nullable: false),
                    observed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_registry_workloads", x => x.registry_id);
                    table.ForeignKey(
                        name: "fk_registry_workloads_registries_registry_id",
                        column: x => x.registry_id,
                        principalSchema: "gateway",
                        principalTable: "registries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "registry_workloads",
                schema: "gateway");
        }
    }
}
