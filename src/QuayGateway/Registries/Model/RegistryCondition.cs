namespace QuayGateway.Registries.Model;

/// <param name="Component">The component kind the cause is about (for example <c>quay</c>, <c>clair</c>, <c>postgres</c>), or <c>quayregistry</c> when the QuayRegistry itself is missing.</param>
/// <param name="Reason">The CamelCase reason, as the operator or the gateway reports it.</param>
/// <param name="Message">A human-readable explanation.</param>
public sealed record HealthCause(string Component, string Reason, string Message);

/// <param name="Type">The condition's type, such as <c>Applied</c>, <c>Available</c> or <c>Bootstrapped</c>.</param>
/// <param name="Status"><c>True</c>, <c>False</c> or <c>Unknown</c>, as in Kubernetes.</param>
/// <param name="Reason">A CamelCase reason for the status.</param>
/// <param name="Message">A human-readable explanation.</param>
/// <param name="LastTransitionTime">When the status last changed (ISO 8601, UTC).</param>
public sealed record RegistryCondition(
    string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);
