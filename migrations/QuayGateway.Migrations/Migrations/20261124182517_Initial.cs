using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace QuayGateway.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "gateway");

            migrationBuilder.CreateTable(
                name: "api_keys",
                schema: "gateway",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    scopes = table.Column<string[]>(type: "text[]", nullable: false),
                    secret_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                schema: "gateway",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    friendly_name = table.Column<string>(type: "text", nullable: true),
                    xml = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_records",
                schema: "gateway",
                columns: table => new
                {
                    tenant = table.Column<string>(type: "text", nullable: false),
                    key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    request_hash = table.Column<string>(type: "text", nullable: false),
                    registry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    response_body = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_records", x => new { x.tenant, x.key });
                });

            migrationBuilder.CreateTable(
                name: "registries",
                schema: "gateway",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    cluster = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(63)", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    state = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    health = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    spec = table.Column<string>(type: "jsonb", nullable: false),
                    protected_secrets = table.Column<string>(type: "text", nullable: true),
                    generation = table.Column<long>(type: "bigint", nullable: false),
                    observed_generation = table.Column<long>(type: "bigint", nullable: true),
                    registry_endpoint = table.Column<string>(type: "text", nullable: true),
                    current_version = table.Column<string>(type: "text", nullable: true),
                    conditions = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_registries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "registry_events",
                schema: "gateway",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    registry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    state = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    reason = table.Column<string>(type: "text", nullable: true),
                    message = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_registry_events", x => x.id);
                    table.ForeignKey(
                        name: "fk_registry_events_registries_registry_id",
                        column: x => x.registry_id,
                        principalSchema: "gateway",
                        principalTable: "registries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_tenant",
                schema: "gateway",
                table: "api_keys",
                column: "tenant");

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                schema: "gateway",
                table: "idempotency_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_registries_cluster_namespace_name",
                schema: "gateway",
                table: "registries",
                columns: new[] { "cluster", "namespace", "name" },
                unique: true,
                filter: "state <> 'Deleted'");

            migrationBuilder.CreateIndex(
                name: "ix_registries_tenant_id",
                schema: "gateway",
                table: "registries",
                columns: new[] { "tenant", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_registry_events_registry_id_id",
                schema: "gateway",
                table: "registry_events",
                columns: new[] { "registry_id", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys",
                schema: "gateway");

            migrationBuilder.DropTable(
                name: "data_protection_keys",
                schema: "gateway");

            migrationBuilder.DropTable(
                name: "idempotency_records",
                schema: "gateway");

            migrationBuilder.DropTable(
                name: "registry_events",
                schema: "gateway");

            migrationBuilder.DropTable(
                name: "registries",
                schema: "gateway");
        }
    }
}
