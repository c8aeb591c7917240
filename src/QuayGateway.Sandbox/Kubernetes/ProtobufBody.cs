using System.Text;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// kubectl's generators (<c>kubectl create namespace</c>, <c>kubectl create secret</c>) send built-in kinds as
/// Kubernetes protobuf. The sandbox speaks JSON, so it decodes exactly those kinds (the envelope
/// <c>k8s\0</c> + <c>runtime.Unknown</c>, then Namespace, Secret or an RBAC kind with ObjectMeta's common fields)
/// and answers 415 for anything else.
/// </summary>
internal static class ProtobufBody
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(ReadOnlySpan<byte> body, ResourceType type)
    {
        if (!body.StartsWith(Magic)) throw Unsupported(type);
        byte[]? raw = null;
        foreach (var (field, value) in Fields(body[Magic.Length..].ToArray()))
        {
            if (field == 2) raw = value.Bytes;
        }
        if (raw is null) throw Unsupported(type);

        var obj = new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind };
        if (type == ResourceTypes.Namespaces)
        {
            foreach (var (field, value) in Fields(raw))
            {
                if (field == 1) obj["metadata"] = Metadata(value.Bytes!);
                if (field == 2) obj["spec"] = new JsonObject { ["finalizers"] = Strings(value.Bytes!, 1) };
            }
            return obj;
        }
        if (type == ResourceTypes.Secrets)
        {
            var data = new JsonObject();
            var stringData = new JsonObject();
            foreach (var (field, value) in Fields(raw))
            {
                switch (field)
                {
                    case 1: obj["metadata"] = Metadata(value.Bytes!); break;
                    case 2: var (k, v) = MapEntry(value.Bytes!); data[k] = Convert.ToBase64String(v); break;
                    case 3 when value.Bytes!.Length > 0: obj["type"] = Encoding.UTF8.GetString(value.Bytes!); break;
                    case 4: var (sk, sv) = MapEntry(value.Bytes!); stringData[sk] = Encoding.UTF8.GetString(sv); break;
                    case 5: obj["immutable"] = value.Number != 0; break;
                }
            }
            if (data.Count > 0) obj["data"] = data;
            if (stringData.Count > 0) obj["stringData"] = stringData;
            return obj;
        }
        if (type == ResourceTypes.Roles || type == ResourceTypes.ClusterRoles)
        {
            // kubectl create role / clusterrole: rbac.v1.Role { metadata = 1, rules = 2 } and PolicyRule's five lists.
            var rules = new JsonArray();
            foreach (var (field, value) in Fields(raw))
            {
                if (field == 1) obj["metadata"] = Metadata(value.Bytes!);
                if (field == 2) rules.Add(PolicyRule(value.Bytes!));
            }
            obj["rules"] = rules;
            return obj;
        }
        if (type == ResourceTypes.RoleBindings || type == ResourceTypes.ClusterRoleBindings)
        {
            // kubectl create rolebinding / clusterrolebinding: { metadata = 1, subjects = 2, roleRef = 3 }.
            var subjects = new JsonArray();
            foreach (var (field, value) in Fields(raw))
            {
                if (field == 1) obj["metadata"] = Metadata(value.Bytes!);
                if (field == 2) subjects.Add(StringFields(value.Bytes!, "kind", "apiGroup", "name", "namespace"));
                if (field == 3) obj["roleRef"] = StringFields(value.Bytes!, "apiGroup", "kind", "name");
            }
            obj["subjects"] = subjects;
            return obj;
        }
        if (type == SandboxAuthorization.AccessReviewType)
        {
            // kubectl auth can-i: { spec = 2 { resourceAttributes = 1, nonResourceAttributes = 2 } }.
            var spec = new JsonObject();
            foreach (var (field, value) in Fields(raw).Where(f => f.Field == 2).SelectMany(f => Fields(f.Value.Bytes!)))
            {
                if (field == 1) spec["resourceAttributes"] = StringFields(value.Bytes!, "namespace", "verb", "group", "version", "resource", "subresource", "name");
                if (field == 2) spec["nonResourceAttributes"] = StringFields(value.Bytes!, "path", "verb");
            }
            obj["spec"] = spec;
            return obj;
        }
        throw Unsupported(type);
    }

    private static JsonObject PolicyRule(byte[] bytes)
    {
        var rule = new JsonObject();
        string[] names = ["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"];
        for (var i = 0; i < names.Length; i++)
        {
            var values = Fields(bytes).Where(f => f.Field == i + 1).Select(f => (JsonNode)Encoding.UTF8.GetString(f.Value.Bytes!)).ToArray();
            if (values.Length > 0) rule[names[i]] = new JsonArray(values);
        }
        return rule;
    }

    /// <summary>A message of string fields 1..n, named in order; empty ones left out, as JSON omits them.</summary>
    private static JsonObject StringFields(byte[] bytes, params string[] names)
    {
        var obj = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            if (field >= 1 && field <= names.Length && value.Bytes is { Length: > 0 } b) obj[names[field - 1]] = Encoding.UTF8.GetString(b);
        }
        return obj;
    }

    private static JsonObject Metadata(byte[] bytes)
    {
        var meta = new JsonObject();
        var labels = new JsonObject();
        var annotations = new JsonObject();
        var finalizers = new JsonArray();
        foreach (var (field, value) in Fields(bytes))
        {
            if (value.Bytes is { Length: 0 }) continue; // protobuf carries unset strings as empty ones
            switch (field)
            {
                case 1: meta["name"] = Encoding.UTF8.GetString(value.Bytes!); break;
                case 2: meta["generateName"] = Encoding.UTF8.GetString(value.Bytes!); break;
                case 3: meta["namespace"] = Encoding.UTF8.GetString(value.Bytes!); break;
                case 11: var (lk, lv) = MapEntry(value.Bytes!); labels[lk] = Encoding.UTF8.GetString(lv); break;
                case 12: var (ak, av) = MapEntry(value.Bytes!); annotations[ak] = Encoding.UTF8.GetString(av); break;
                case 14: finalizers.Add(Encoding.UTF8.GetString(value.Bytes!)); break;
            }
        }
        if (labels.Count > 0) meta["labels"] = labels;
        if (annotations.Count > 0) meta["annotations"] = annotations;
        if (finalizers.Count > 0) meta["finalizers"] = finalizers;
        return meta;
    }

    private static JsonArray Strings(byte[] bytes, int field) =>
        new(Fields(bytes).Where(f => f.Field == field).Select(f => (JsonNode)Encoding.UTF8.GetString(f.Value.Bytes!)).ToArray());

    private static (string Key, byte[] Value) MapEntry(byte[] bytes)
    {
        var (key, value) = ("", Array.Empty<byte>());
        foreach (var (field, v) in Fields(bytes))
        {
            if (field == 1) key = Encoding.UTF8.GetString(v.Bytes!);
            if (field == 2) value = v.Bytes!;
        }
        return (key, value);
    }

    private readonly record struct Value(ulong Number, byte[]? Bytes);

    private static List<(int Field, Value Value)> Fields(byte[] bytes)
    {
        var fields = new List<(int, Value)>();
        var i = 0;
        while (i < bytes.Length)
        {
            var key = Varint(bytes, ref i);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: fields.Add((field, new Value(Varint(bytes, ref i), null))); break;
                case 1: i += 8; break;
                case 2:
                    var length = (int)Varint(bytes, ref i);
                    if (length < 0 || i + length > bytes.Length) throw KubernetesStatusException.BadRequest("the protobuf body is truncated");
                    fields.Add((field, new Value(0, bytes[i..(i + length)])));
                    i += length;
                    break;
                case 5: i += 4; break;
                default: throw KubernetesStatusException.BadRequest("the protobuf body is not valid");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] bytes, ref int i)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= bytes.Length) throw KubernetesStatusException.BadRequest("the protobuf body is truncated");
            var b = bytes[i++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw KubernetesStatusException.BadRequest("the protobuf body is not valid");
    }

    private static KubernetesStatusException Unsupported(ResourceType type) =>
        new(415, "UnsupportedMediaType", $"the sandbox accepts {ContentType} only for namespaces, secrets and RBAC objects, not {type.Plural}; send application/json", new StatusDetails());
}
