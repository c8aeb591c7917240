using Npgsql;
using QuayGateway.DevServices;

namespace QuayGateway.Tests.DevServices;

public sealed class DevPostgresTests
{
    [Fact]
    public void Missing_binaries_name_the_package_to_install()
    {
        var empty = Directory.CreateTempSubdirectory().FullName;

        Assert.Null(DevPostgres.FindBinDir(Path.Combine(empty, "nope"), empty));
        Assert.Contains("apt-get install -y postgresql", DevPostgres.MissingBinariesMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "ID=debian\nVERSION_ID=\"12\"", true)]
    [InlineData(true, "ID=ubuntu\nID_LIKE=debian", true)]
    [InlineData(true, "ID=linuxmint\nID_LIKE=\"ubuntu debian\"", true)]
    [InlineData(false, "ID=debian", false)]
    [InlineData(true, "ID=fedora", false)]
    [InlineData(true, null, false)]
    public void Missing_binaries_are_installed_only_as_root_on_debian_or_ubuntu(bool root, string? osRelease, bool installs)
    {
        var (install, message) = DevPostgres.DecideInstall(root, osRelease);

        Assert.Equal(installs, install);
        Assert.Contains("apt-get install -y postgresql", message, StringComparison.Ordinal);
        Assert.Equal(installs, message.Contains("installing", StringComparison.Ordinal));
    }

    [Fact]
    public void Debian_layout_is_found_highest_version_first()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        foreach (var version in new[] { "13", "15" })
        {
            var bin = Directory.CreateDirectory(Path.Combine(root, version, "bin")).FullName;
            foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
            {
                File.WriteAllText(Path.Combine(bin, tool), "");
            }
        }

        Assert.Equal(Path.Combine(root, "15", "bin"), DevPostgres.FindBinDir(null, root));
    }

    [Fact]
    public async Task A_throwaway_server_listens_on_loopback_and_is_removed_on_dispose()
    {
        var postgres = await DevPostgres.StartThrowawayAsync();
        var builder = new NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        await using (var connection = new NpgsqlConnection(postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_setting('listen_addresses')", connection);
            Assert.Equal("127.0.0.1", await command.ExecuteScalarAsync());
            await using var whoRuns = new NpgsqlCommand("SELECT current_user", connection);
            Assert.Equal("gateway", await whoRuns.ExecuteScalarAsync());
        }

        Assert.Equal("127.0.0.1", builder.Host);
        await postgres.DisposeAsync();
        await using var after = new NpgsqlConnection(postgres.ConnectionString + ";Timeout=2;Pooling=false");
        await Assert.ThrowsAnyAsync<Exception>(() => after.OpenAsync());
    }

    [Fact]
    public async Task A_stopped_server_refuses_connections_and_resumes_on_the_same_port_with_its_data()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        await ExecuteAsync(postgres.ConnectionString, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");

        await postgres.StopAsync();
        await using (var during = new NpgsqlConnection(postgres.ConnectionString + ";Timeout=2;Pooling=false"))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => during.OpenAsync());
        }

        await postgres.ResumeAsync();
        Assert.Equal(42, await ExecuteAsync(postgres.ConnectionString, "SELECT id FROM kept"));
    }

    private static async Task<object?> ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
