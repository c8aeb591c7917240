using System.Net;
using System.Text.Json.Nodes;
using k8s;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>QuayRegistry objects are checked against the embedded real CRD, with the apiserver's wording.</summary>
[Collection(SandboxCollection.Name)]
public sealed class CrdValidationTests(SandboxFixture sandbox)
{
    private Task<JsonObject> Rejected(string ns, string name, string spec) =>
        KubernetesApiTests.StatusOf(() => sandbox.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            KubernetesApiTests.Registry(name, spec), KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural), HttpStatusCode.UnprocessableEntity);

    private static (string Reason, string Message, string Field) OnlyCause(JsonObject status)
    {
        Assert.Equal("Invalid", status["reason"]!.GetValue<string>());
        Assert.Equal("QuayRegistry", status["details"]!["kind"]!.GetValue<string>());
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        return (cause["reason"]!.GetValue<string>(), cause["message"]!.GetValue<string>(), cause["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_component_kind_is_an_unsupported_enum_value()
    {
        var status = await Rejected(sandbox.NewNamespace(), "x", """{"components":[{"kind":"foo","managed":true}]}""");
        Assert.Equal(
            "QuayRegistry.quay.redhat.com \"x\" is invalid: spec.components[0].kind: Unsupported value: \"foo\": supported values: \"quay\", \"postgres\", \"clair\", \"clairpostgres\", \"redis\", \"horizontalpodautoscaler\", \"objectstorage\", \"route\", \"mirror\", \"monitoring\", \"tls\"",
            status["message"]!.GetValue<string>());
        Assert.Equal(("FieldValueNotSupported", "spec.components[0].kind"), (OnlyCause(status).Reason, OnlyCause(status).Field));
    }

    [Fact]
    public async Task Overrides_on_an_unmanaged_component_break_the_CEL_rule()
    {
        var status = await Rejected(sandbox.NewNamespace(), "x", """{"components":[{"kind":"quay","managed":true},{"kind":"clair","managed":false,"overrides":{"replicas":1}}]}""");
        Assert.Equal("QuayRegistry.quay.redhat.com \"x\" is invalid: spec.components[1]: Invalid value: \"object\": cannot set overrides on unmanaged component", status["message"]!.GetValue<string>());
        Assert.Equal(("FieldValueInvalid", "Invalid value: \"object\": cannot set overrides on unmanaged component", "spec.components[1]"), OnlyCause(status));
    }

    [Fact]
    public async Task A_secretRef_on_a_managed_component_breaks_the_CEL_rule()
    {
        var status = await Rejected(sandbox.NewNamespace(), "x", """{"components":[{"kind":"tls","managed":true,"secretRef":{"name":"my-tls"}}]}""");
        Assert.Equal("QuayRegistry.quay.redhat.com \"x\" is invalid: spec.components[0]: Invalid value: \"object\": secretRef cannot be set on a managed component", status["message"]!.GetValue<string>());

        var emptyName = await Rejected(sandbox.NewNamespace(), "x", """{"components":[{"kind":"tls","managed":false,"secretRef":{"name":""}}]}""");
        Assert.Equal("Invalid value: \"object\": secretRef.name must not be empty", OnlyCause(emptyName).Message);

        // The same fields are fine where the rules allow them.
        var ns = sandbox.NewNamespace();
        await sandbox.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            KubernetesApiTests.Registry("ok", """{"components":[{"kind":"tls","managed":false,"secretRef":{"name":"my-tls"}},{"kind":"quay","managed":true,"overrides":{"replicas":0}}]}"""),
            KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural);
    }

    [Fact]
    public async Task Types_required_fields_and_minimums_are_checked_and_several_errors_are_listed()
    {
        var ns = sandbox.NewNamespace();
        var type = await Rejected(ns, "x", """{"configBundleSecret":5}""");
        Assert.Equal("QuayRegistry.quay.redhat.com \"x\" is invalid: spec.configBundleSecret: Invalid value: \"integer\": spec.configBundleSecret in body must be of type string: \"integer\"",
            type["message"]!.GetValue<string>());
        Assert.Equal("FieldValueTypeInvalid", OnlyCause(type).Reason);

        var required = await Rejected(ns, "x", """{"components":[{"kind":"clair"}]}""");
        Assert.Equal(("FieldValueRequired", "Required value", "spec.components[0].managed"), OnlyCause(required));

        var minimum = await Rejected(ns, "x", """{"components":[{"kind":"quay","managed":true,"overrides":{"replicas":-1}}]}""");
        Assert.Equal("spec.components[0].overrides.replicas", OnlyCause(minimum).Field);
        Assert.EndsWith("spec.components[0].overrides.replicas in body should be greater than or equal to 0", OnlyCause(minimum).Message);

        var several = await Rejected(ns, "x", """{"components":[{"kind":"foo","managed":true},{"kind":"mirror","managed":false,"overrides":{}}]}""");
        Assert.Equal(2, several["details"]!["causes"]!.AsArray().Count);
        Assert.StartsWith("QuayRegistry.quay.redhat.com \"x\" is invalid: [spec.components[0].kind: Unsupported value: \"foo\"", several["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_fields_are_pruned_with_a_warning_or_rejected_when_strict()
    {
        var ns = sandbox.NewNamespace();
        using var http = sandbox.Http();
        var body = """{"apiVersion":"quay.redhat.com/v1","kind":"QuayRegistry","metadata":{"name":"p"},"spec":{"configBundleSecret":"b","bogus":1}}""";
        var path = $"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries";

        var strict = await http.PostAsync(path + "?fieldValidation=Strict", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Equal("QuayRegistry in version \"v1\" cannot be handled as a QuayRegistry: strict decoding error: unknown field \"spec.bogus\"",
            JsonNode.Parse(await strict.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());

        var lenient = await http.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, lenient.StatusCode);
        Assert.Contains("unknown field \\\"spec.bogus\\\"", string.Join(" ", lenient.Headers.GetValues("Warning")));
        var stored = sandbox.Cluster.Store.Get("quayregistries", ns, "p")!;
        Assert.Null(stored["spec"]!["bogus"]);
        Assert.Equal("b", stored["spec"]!["configBundleSecret"]!.GetValue<string>());
    }

    [Fact]
    public void Writes_through_the_store_are_validated_too()
    {
        var ns = sandbox.NewNamespace();
        var e = Assert.Throws<KubernetesStatusException>(() => sandbox.Cluster.Store.Create("quayregistries", ns,
            KubernetesApiTests.Registry("x", """{"components":[{"kind":"route","managed":true,"secretRef":{"name":"s"}}]}""")));
        Assert.Equal((422, "Invalid"), (e.Code, e.Reason));
        Assert.Equal("spec.components[0]", Assert.Single(e.Details!.Causes!).Field);
    }
}
