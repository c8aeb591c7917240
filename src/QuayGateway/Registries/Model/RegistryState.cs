namespace QuayGateway.Registries.Model;

public enum RegistryState
{
    Accepted,
    Applying,
    Progressing,
    Available,
    Bootstrapping,
    Ready,
    Blocked,
    Degraded,
    Failed,
    Deleting,
    Deleted,
}

public enum RegistryHealth
{
    Healthy,
    Progressing,
    Degraded,
    Unknown,
    Missing,
}
