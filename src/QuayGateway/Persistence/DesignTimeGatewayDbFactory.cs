using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace QuayGateway.Persistence;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the model without starting the app (and its dev database):
/// scaffolding needs no connection.
/// </summary>
internal sealed class DesignTimeGatewayDbFactory : IDesignTimeDbContextFactory<GatewayDb>
{
    public GatewayDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<GatewayDb>();
        options.UseGatewayDb("Host=localhost;Database=design_time");
        return new GatewayDb(options.Options);
    }
}
