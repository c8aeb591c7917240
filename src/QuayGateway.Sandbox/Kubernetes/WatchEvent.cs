using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>A committed change. <see cref="Type"/> is ADDED, MODIFIED or DELETED; <see cref="Resource"/> is the plural.</summary>
#pragma warning disable CA1720 // "Object" is the field's name on the wire.
public sealed record WatchEvent(string Type, string Resource, JsonObject Object);
#pragma warning restore CA1720
