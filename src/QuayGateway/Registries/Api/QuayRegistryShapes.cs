using System.Text.Json;
using QuayGateway.Hosting;

namespace QuayGateway.Registries.Api;

// The Kubernetes objects the API passes through as the cluster has them, described for the OpenAPI document only
// ([DocumentedAs]); the answers carry them as read, so every field the server or the operator adds comes along.

/// <summary>A <c>QuayRegistry</c> (quay.redhat.com/v1), as applied or as live.</summary>
[OpenEnded("A Kubernetes object: the API server and the Quay Operator may add fields not listed here.")]
public sealed record QuayRegistryObject(string ApiVersion, string Kind, KubernetesObjectMeta Metadata, QuayRegistryObjectSpec? Spec, QuayRegistryObjectStatus? Status);

/// <summary>Kubernetes object metadata; the applied object carries only name, namespace, labels and annotations.</summary>
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
[OpenEnded("The CRD's spec; newer operators may add fields.")]
public sealed record QuayRegistryObjectSpec(IReadOnlyList<QuayRegistryObjectComponent>? Components, string? ConfigBundleSecret);

/// <summary>A component of the QuayRegistry: its kind (the CRD's enum), whether the operator manages it, its overrides.</summary>
public sealed record QuayRegistryObjectComponent(
    string Kind,
    bool Managed,
    [property: OpenEnded("Free-form per the CRD (replicas, env, resources, affinity, volumeSize, ...), passed to the operator as given.")]
    Dictionary<string, JsonElement>? Overrides,
    QuayRegistryObjectSecretRef? SecretRef);

public sealed record QuayRegistryObjectSecretRef(string? Name);

/// <summary>
/// The operator's status: the current shape (conditions with <c>Component*Ready</c>, observedGeneration) or the 3.6
/// shape (unhealthyComponents, the config editor).
/// </summary>
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
[OpenEnded("Written by the Quay Operator, verbatim.")]
public sealed record KubernetesCondition(
    string Type,
    string Status,
    string? Reason,
    string? Message,
    string? LastTransitionTime,
    string? LastUpdateTime);
