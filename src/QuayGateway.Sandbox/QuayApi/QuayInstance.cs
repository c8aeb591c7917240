namespace QuayGateway.Sandbox.QuayApi;

/// <summary>One registry's simulated Quay: its own database and the config its bundle currently holds.</summary>
internal sealed class QuayInstance(QuayDatabase database, QuayConfig config)
{
    private volatile QuayConfig _config = config;

    public QuayDatabase Database { get; } = database;

    /// <summary>The Quay release this instance plays (see <see cref="QuayVersions"/>); it decides which endpoints exist.</summary>
    public string Version { get; set; } = QuayVersions.Default;

    public QuayConfig Config
    {
        get => _config;
        set => _config = value;
    }
}
