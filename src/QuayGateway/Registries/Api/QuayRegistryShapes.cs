using System.Text.Json;
using QuayGateway.Hosting;

namespace QuayGateway.Registries.Api;

// The Kubernetes objects the API passes through as the cluster has them, described for the OpenAPI document only
// ([DocumentedAs]); the answers carry them as read, so every field the server or the operator adds comes along.

/// <summary>A <c>QuayRegistry</c> (quay.redhat.com/v1), as applied or as live.</summary>
/// <param name="ApiVersion">Always <c>quay.redhat.com/v1</c>.</param>
/// <param name="Kind">Always <c>QuayRegistry</c>.</param>
/// <param name="Metadata">The object's metadata.</param>
/// <param name="Spec">The QuayRegistry's spec.</param>
/// <param name="Status">The operator's status; absent on the applied object and before the operator acts.</param>
[OpenEnded("A Kubernetes object: the API server and the Quay Operator may add fields not listed here.")]
public sealed record QuayRegistryObject(string ApiVersion, string Kind, KubernetesObjectMeta Metadata, QuayRegistryObjectSpec? Spec, QuayRegistryObjectStatus? Status);

/// <summary>Kubernetes object metadata; the applied object carries only name, namespace, labels and annotations.</summary>
/// <param name="Name">The object's name.</param>
/// <param name="Namespace">The object's namespace.</param>
/// <param name="Uid">The API server's unique id of the object.</param>
/// <param name="ResourceVersion">The API server's version of the object, for optimistic concurrency.</param>
/// <param name="Generation">The spec's generation; each spec change adds one.</param>
/// <param name="CreationTimestamp">When the object was created (RFC 3339).</param>
/// <param name="DeletionTimestamp">When deletion was requested (RFC 3339); absent otherwise.</param>
/// <param name="Labels">The object's labels.</param>
/// <param name="Annotations">The object's annotations.</param>
[OpenEnded("Kubernetes object metadata: the API server adds fields (managedFields, finalizers, ...).")]
public sealed record KubernetesObjectMeta(
    string Name,
    string? Namespace,
    string? Uid,
    string? ResourceVersion,
    long? Generation,
    string? CreationTimestamp,
    string? DeletionTimestamp,
    IReadOnlyDictionary<string, string>? Labels,
    IReadOnlyDictionary<string, string>? Annotations);

/// <summary>The QuayRegistry's spec, as in the CRD: the operator writes every component kind back into it.</summary>
/// <param name="Components">The components; the operator writes every kind back in.</param>
/// <param name="ConfigBundleSecret">The config-bundle Secret's name.</param>
[OpenEnded("The CRD's spec; newer operators may add fields.")]
public sealed record QuayRegistryObjectSpec(IReadOnlyList<QuayRegistryObjectComponent>? Components, string? ConfigBundleSecret);

/// <summary>A component of the QuayRegistry: its kind (the CRD's enum), whether the operator manages it, its overrides.</summary>
/// <param name="Kind">The component kind, from the CRD's enum.</param>
/// <param name="Managed">Whether the operator manages the component.</param>
/// <param name="Overrides">The component's overrides.</param>
/// <param name="SecretRef">A Secret the component reads its settings from.</param>
public sealed record QuayRegistryObjectComponent(
    string Kind,
    bool Managed,
    [property: OpenEnded("Free-form per the CRD (replicas, env, resources, affinity, volumeSize, ...), passed to the operator as given.")]
    Dictionary<string, JsonElement>? Overrides,
    QuayRegistryObjectSecretRef? SecretRef);

/// <param name="Name">The Secret's name.</param>
public sealed record QuayRegistryObjectSecretRef(string? Name);

/// <summary>
/// The operator's status: the current shape (conditions with <c>Component*Ready</c>, observedGeneration) or the 3.6
/// shape (unhealthyComponents, the config editor).
/// </summary>
/// <param name="Conditions">The operator's conditions.</param>
/// <param name="CurrentVersion">The Quay version running.</param>
/// <param name="RegistryEndpoint">The registry's URL.</param>
/// <param name="LastUpdated">When the operator last updated the status (a Go time string on older operators).</param>
/// <param name="ObservedGeneration">The generation the operator last acted on (current operators).</param>
/// <param name="ConfigEditorEndpoint">The config editor's URL (3.6-era operators).</param>
/// <param name="ConfigEditorCredentialsSecret">The Secret with the config editor's credentials (3.6-era operators).</param>
/// <param name="UnhealthyComponents">Per component kind, the conditions of its unavailable workloads (3.6-era operators).</param>
[OpenEnded("Written by the Quay Operator; its shape differs between versions.")]
public sealed record QuayRegistryObjectStatus(
    IReadOnlyList<KubernetesCondition>? Conditions,
    string? CurrentVersion,
    string? RegistryEndpoint,
    string? LastUpdated,
    long? ObservedGeneration,
    string? ConfigEditorEndpoint,
    string? ConfigEditorCredentialsSecret,
    [property: OpenEnded("3.6-era operators: per component kind, the conditions of its unavailable workloads; {} when healthy.")]
    Dictionary<string, JsonElement>? UnhealthyComponents);

/// <summary>A condition as the Quay Operator writes it (<c>status.conditions[]</c>), verbatim.</summary>
/// <param name="Type">The condition's type (<c>Available</c>, <c>ComponentsCreated</c>, <c>ComponentQuayReady</c>, <c>RolloutBlocked</c>, ...).</param>
/// <param name="Status"><c>True</c>, <c>False</c> or <c>Unknown</c>.</param>
/// <param name="Reason">The operator's CamelCase reason.</param>
/// <param name="Message">The operator's message.</param>
/// <param name="LastTransitionTime">When the status last changed (RFC 3339).</param>
/// <param name="LastUpdateTime">When the operator last wrote the condition (RFC 3339).</param>
[OpenEnded("Written by the Quay Operator, verbatim.")]
public sealed record KubernetesCondition(
    string Type,
    string Status,
    string? Reason,
    string? Message,
    string? LastTransitionTime,
    string? LastUpdateTime);
