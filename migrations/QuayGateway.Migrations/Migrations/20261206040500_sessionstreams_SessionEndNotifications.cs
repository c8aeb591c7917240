using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <summary>
    /// Every replica hears when a browser session ends (QuayGateway.Security.ApiKeyRevocations): a trigger on
    /// browser_sessions notifies channel gateway_api_key_changed with 'session:' and the hex of the session's token
    /// hash whenever a row is deleted: signing out, and revoking the key the session was made from (a cascade).
    /// </summary>
    public partial class sessionstreams_SessionEndNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION gateway.notify_browser_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('gateway_api_key_changed', 'session:' || encode(OLD.token_hash, 'hex'));
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER browser_session_ended AFTER DELETE ON gateway.browser_sessions
                    FOR EACH ROW EXECUTE FUNCTION gateway.notify_browser_session_ended();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER browser_session_ended ON gateway.browser_sessions;
                DROP FUNCTION gateway.notify_browser_session_ended();
                """);
        }
    }
}
