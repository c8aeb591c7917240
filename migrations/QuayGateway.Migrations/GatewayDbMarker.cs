// Scaffolded migrations say [DbContext(typeof(GatewayDb))] and `using QuayGateway.Persistence;`. This assembly
// cannot reference the gateway (the gateway references it, to ship it), so GatewayDb is an alias of a stand-in here;
// the gateway's GatewayMigrationsAssembly takes every migration of this assembly as GatewayDb's.
global using GatewayDb = QuayGateway.Migrations.GatewaySchema;

namespace QuayGateway.Persistence
{
    /// <summary>Makes the scaffolded <c>using QuayGateway.Persistence;</c> resolve in this assembly.</summary>
    internal static class NamespaceAnchor;
}

namespace QuayGateway.Migrations
{
    /// <summary>
    /// The stand-in for GatewayDb. It derives from DbContext only so that <c>dotnet ef</c>, which scans migration
    /// attributes for context types, accepts it; it is never instantiated.
    /// </summary>
    internal abstract class GatewaySchema : Microsoft.EntityFrameworkCore.DbContext;
}
