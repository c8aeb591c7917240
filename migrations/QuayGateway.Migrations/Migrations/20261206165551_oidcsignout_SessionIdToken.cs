using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <summary>
    /// browser_sessions.protected_id_token: an OIDC session's ID token, encrypted with Data Protection, sent back to the
    /// provider as id_token_hint when the person signs out (RP-initiated logout). Null for key sessions and older rows.
    /// </summary>
    public partial class oidcsignout_SessionIdToken : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "protected_id_token",
                schema: "gateway",
                table: "browser_sessions",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "protected_id_token",
                schema: "gateway",
                table: "browser_sessions");
        }
    }
}
