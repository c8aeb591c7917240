using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Internal;

namespace QuayGateway.Persistence;

#pragma warning disable EF1001 // MigrationsAssembly is EF's documented extension point for locating migrations.
/// <summary>
/// Finds GatewayDb's migrations in the separate QuayGateway.Migrations assembly. That project cannot reference the
/// gateway (the gateway references it, to ship it), so its <c>[DbContext]</c> attributes name a stand-in type; the
/// assembly holds GatewayDb's migrations only, so every migration in it counts.
/// </summary>
internal sealed class GatewayMigrationsAssembly(
    ICurrentDbContext currentContext,
    IDbContextOptions options,
    IMigrationsIdGenerator idGenerator,
    IDiagnosticsLogger<DbLoggerCategory.Migrations> logger)
    : MigrationsAssembly(currentContext, options, idGenerator, logger)
{
    public const string Name = "QuayGateway.Migrations";

    private IReadOnlyDictionary<string, TypeInfo>? _migrations;
    private ModelSnapshot? _snapshot;

    public override IReadOnlyDictionary<string, TypeInfo> Migrations => _migrations ??= Assembly.DefinedTypes
        .Where(t => t.IsSubclassOf(typeof(Migration)) && !t.IsAbstract && IsForThisContext(t))
        .Select(t => (Id: t.GetCustomAttribute<MigrationAttribute>()?.Id, Type: t))
        .Where(m => m.Id is not null)
        .OrderBy(m => m.Id, StringComparer.Ordinal)
        .ToDictionary(m => m.Id!, m => m.Type);

    public override ModelSnapshot? ModelSnapshot => _snapshot ??= Assembly.DefinedTypes
        .Where(t => t.IsSubclassOf(typeof(ModelSnapshot)) && !t.IsAbstract && IsForThisContext(t))
        .Select(t => (ModelSnapshot)Activator.CreateInstance(t)!)
        .FirstOrDefault();

    private static bool IsForThisContext(TypeInfo type) => type.GetCustomAttribute<DbContextAttribute>() is not null;
}
#pragma warning restore EF1001
