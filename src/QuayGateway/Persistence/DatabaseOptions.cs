namespace QuayGateway.Persistence;

public sealed class DatabaseOptions
{
    public const string Section = "Gateway:Database";

    /// <summary>Apply pending migrations at startup. Defaults to true in Development; production runs <c>migrate</c>.</summary>
    public bool? MigrateOnStartup { get; set; }
}
