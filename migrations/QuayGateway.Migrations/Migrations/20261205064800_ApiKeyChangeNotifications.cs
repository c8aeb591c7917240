using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <summary>
    /// Every replica hears when an API key changes or is revoked (QuayGateway.Security.ApiKeyRevocations): a trigger
    /// notifies channel gateway_api_key_changed with the key id, whatever statement touched the row. The notification
    /// leaves with the commit, and not at all on a rollback.
    /// </summary>
    public partial class ApiKeyChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION gateway.notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('gateway_api_key_changed', OLD.id);
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER api_key_changed AFTER UPDATE OR DELETE ON gateway.api_keys
                    FOR EACH ROW EXECUTE FUNCTION gateway.notify_api_key_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER api_key_changed ON gateway.api_keys;
                DROP FUNCTION gateway.notify_api_key_changed();
                """);
        }
    }
}
