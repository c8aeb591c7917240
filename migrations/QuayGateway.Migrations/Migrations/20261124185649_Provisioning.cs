using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class Provisioning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "applied_manifest",
                schema: "gateway",
                table: "registries",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "applied_spec_version",
                schema: "gateway",
                table: "registries",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "available_at",
                schema: "gateway",
                table: "registries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "config_editor_endpoint",
                schema: "gateway",
                table: "registries",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "health_causes",
                schema: "gateway",
                table: "registries",
                type: "jsonb",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<bool>(
                name: "namespace_created",
                schema: "gateway",
                table: "registries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "operator_status",
                schema: "gateway",
                table: "registries",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "rollout_deadline",
                schema: "gateway",
                table: "registries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "rollout_started_at",
                schema: "gateway",
                table: "registries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "spec_version",
                schema: "gateway",
                table: "registries",
                type: "integer",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "applied_manifest",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "applied_spec_version",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "available_at",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "config_editor_endpoint",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "health_causes",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "namespace_created",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "operator_status",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "rollout_deadline",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "rollout_started_at",
                schema: "gateway",
                table: "registries");

            migrationBuilder.DropColumn(
                name: "spec_version",
                schema: "gateway",
                table: "registries");
        }
    }
}
