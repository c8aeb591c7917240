using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class creds_DurableQuayCredentials : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "automation_organization",
                schema: "gateway",
                table: "quay_accounts",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "client_id",
                schema: "gateway",
                table: "quay_accounts",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "credential_kind",
                schema: "gateway",
                table: "quay_accounts",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "Initialize"); // rows from before: the token user/initialize returned

            migrationBuilder.AddColumn<string>(
                name: "credential_user",
                schema: "gateway",
                table: "quay_accounts",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "last_error",
                schema: "gateway",
                table: "quay_accounts",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_error_at",
                schema: "gateway",
                table: "quay_accounts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_used_at",
                schema: "gateway",
                table: "quay_accounts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "protected_password",
                schema: "gateway",
                table: "quay_accounts",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "scopes",
                schema: "gateway",
                table: "quay_accounts",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "automation_organization",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "client_id",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "credential_kind",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "credential_user",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "last_error",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "last_error_at",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "last_used_at",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "protected_password",
                schema: "gateway",
                table: "quay_accounts");

            migrationBuilder.DropColumn(
                name: "scopes",
                schema: "gateway",
                table: "quay_accounts");
        }
    }
}
