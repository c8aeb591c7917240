using System.Text.Encodings.Web;
using System.Text.Json;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>JSON as the apiserver writes it: quotes and non-ASCII text are not \u-escaped.</summary>
internal static class KubeJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
