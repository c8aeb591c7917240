using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class browsers_BrowserSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "browser_sessions",
                schema: "gateway",
                columns: table => new
                {
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    scopes = table.Column<string[]>(type: "text[]", nullable: false),
                    subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    api_key_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_browser_sessions", x => x.token_hash);
                    table.ForeignKey(
                        name: "fk_browser_sessions_api_keys_api_key_id",
                        column: x => x.api_key_id,
                        principalSchema: "gateway",
                        principalTable: "api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_browser_sessions_api_key_id",
                schema: "gateway",
                table: "browser_sessions",
                column: "api_key_id");

            migrationBuilder.CreateIndex(
                name: "ix_browser_sessions_expires_at",
                schema: "gateway",
                table: "browser_sessions",
                column: "expires_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "browser_sessions",
                schema: "gateway");
        }
    }
}
