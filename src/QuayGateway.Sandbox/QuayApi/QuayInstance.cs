namespace QuayGateway.Sandbox.QuayApi;

/// <summary>One registry's simulated Quay: its own database and the config its bundle currently holds.</summary>
internal sealed class QuayInstance(string registry, QuayDatabase database, QuayConfig config)
{
    private volatile QuayConfig config = config;

    /// <summary>"namespace/name" of the QuayRegistry this Quay belongs to.</summary>
    public string Registry { get; } = registry;

    public QuayDatabase Database { get; } = database;

    public QuayConfig Config
    {
        get => config;
        set => config = value;
    }
}
