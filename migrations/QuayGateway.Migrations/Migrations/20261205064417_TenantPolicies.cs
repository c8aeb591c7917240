using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class TenantPolicies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "tenant_policies",
                schema: "gateway",
                columns: table => new
                {
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    clusters = table.Column<string[]>(type: "text[]", nullable: false),
                    namespaces = table.Column<string[]>(type: "text[]", nullable: false),
                    quotas = table.Column<string>(type: "jsonb", nullable: false),
                    rate_limit = table.Column<string>(type: "jsonb", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_policies", x => x.tenant);
                });

            // Upgrading locks no one out: a tenant with registries may keep using their clusters and namespaces (and
            // only those); a tenant with keys but no registry yet keeps what it had, every cluster and namespace, for a
            // platform admin to narrow. No quotas and no rate limit of their own.
            migrationBuilder.Sql(
                """
                INSERT INTO gateway.tenant_policies (tenant, clusters, namespaces, quotas, rate_limit, created_at, updated_at)
                SELECT t.tenant,
                       coalesce((SELECT array_agg(DISTINCT r.cluster ORDER BY r.cluster) FROM gateway.registries r WHERE r.tenant = t.tenant), ARRAY['*']),
                       coalesce((SELECT array_agg(DISTINCT r.namespace ORDER BY r.namespace) FROM gateway.registries r WHERE r.tenant = t.tenant), ARRAY['*']),
                       '{}'::jsonb, NULL, now(), now()
                FROM (SELECT tenant FROM gateway.registries UNION SELECT tenant FROM gateway.api_keys) t;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "tenant_policies",
                schema: "gateway");
        }
    }
}
