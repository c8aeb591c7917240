namespace QuayGateway.Sandbox.QuayApi;

/// <summary>One registry's simulated Quay: its own database and the config its bundle currently holds.</summary>
internal sealed class QuayInstance(QuayDatabase database, QuayConfig config)
{
    private volatile QuayConfig _config = config;

    public QuayDatabase Database { get; } = database;

    public QuayConfig Config
    {
        get => _config;
        set => _config = value;
    }
}
