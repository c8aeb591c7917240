namespace QuayGateway.Registries.Model;

public sealed record HealthCause(string Component, string Reason, string Message);

public sealed record RegistryCondition(
    string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);
