using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace QuayGateway.Migrations.Migrations.GatewayDbMigrations
{
    /// <inheritdoc />
    public partial class OutboxRowPerUnitOfWork : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(
                name: "job",
                schema: "gateway",
                table: "outbox_jobs",
                newName: "jobs");

            // Rows written before: one job each, now a list of one.
            migrationBuilder.Sql("UPDATE gateway.outbox_jobs SET jobs = '[' || jobs || ']';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to one job per row (json, not jsonb: each job's text stays as it was written).
            migrationBuilder.Sql("""
                WITH split AS (DELETE FROM gateway.outbox_jobs WHERE jobs LIKE '[%' RETURNING jobs, trace_parent, created_at)
                INSERT INTO gateway.outbox_jobs (jobs, trace_parent, created_at)
                SELECT job::text, trace_parent, created_at FROM split, json_array_elements(split.jobs::json) AS job;
                """);
            migrationBuilder.RenameColumn(
                name: "jobs",
                schema: "gateway",
                table: "outbox_jobs",
                newName: "job");
        }
    }
}
