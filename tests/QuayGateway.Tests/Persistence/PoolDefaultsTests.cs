using Npgsql;
using QuayGateway.Persistence;

namespace QuayGateway.Tests.Persistence;

public sealed class PoolDefaultsTests
{
    [Fact]
    public void The_gateway_pool_prepares_statements_and_skips_the_session_reset()
    {
        var settings = new NpgsqlConnectionStringBuilder(PersistenceSetup.WithPoolDefaults("Host=db;Username=gateway"));

        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal("db", settings.Host);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;noresetonclose=false")]
    public void A_connection_string_that_sets_them_wins(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(PersistenceSetup.WithPoolDefaults(connectionString));

        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
    }
}
