using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Tests.Packaging;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>
/// Server-side apply proven against the reference implementation: each sequence runs against the sandbox over
/// HTTP, then the same operations go to tests/ssa-oracle (sigs.k8s.io/structured-merge-diff, the library the API
/// server uses). After every step both must hold the same object and the same managedFields sets, and a conflict
/// must be the same 409 with the same causes.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ServerSideApplyOracleTests(SandboxFixture sandbox)
{
    private const string ApiVersion = "quay.redhat.com/v1";

    /// <summary>One operation: an apply (optionally forced, optionally on /status) or an update made by editing the live object.</summary>
    private sealed record Op(string Kind, string Manager, JsonObject? Config = null, Action<JsonObject>? Edit = null, bool Force = false, string? Subresource = null);

    private static JsonObject Registry(string ns, string name, string body)
    {
        var obj = JsonNode.Parse(body)!.AsObject();
        obj["apiVersion"] = ApiVersion;
        obj["kind"] = "QuayRegistry";
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        meta["name"] = name;
        meta["namespace"] = ns;
        obj["metadata"] = meta;
        return obj;
    }

    [Fact]
    public async Task Gateway_apply_operator_write_backs_kubectl_edits_forced_and_unforced_reapply_and_removal_match_the_reference()
    {
        var ns = sandbox.NewNamespace("ssa");
        const string name = "oracle";
        var desired = Registry(ns, name, """
            {"metadata":{"labels":{"app":"quay-gateway","tier":"registry"},"annotations":{"quay-gateway/tenant":"t1"},"finalizers":["quay-gateway/cleanup"]},
             "spec":{"configBundleSecret":"oracle-config","components":[{"kind":"clair","managed":false},{"kind":"redis","managed":true}]}}
            """);
        var withoutTier = (JsonObject)desired.DeepClone();
        withoutTier["metadata"]!["labels"]!.AsObject().Remove("tier");
        withoutTier["spec"]!.AsObject().Remove("configBundleSecret");

        var steps = await Verify(name, ns,
        [
            new("apply", "quay-gateway", desired),
            // The operator's write-backs: status, then a bundle name and its finalizer in spec and metadata.
            new("update", "quay-operator", Subresource: "status", Edit: o => o["status"] = JsonNode.Parse("""
                {"currentVersion":"3.9.0","registryEndpoint":"https://oracle.example","conditions":[{"type":"Available","status":"True","reason":"ComponentsCreationSuccess"}]}
                """)),
            new("update", "quay-operator", Edit: o =>
            {
                o["spec"]!["configBundleSecret"] = "oracle-config-bundle-x7k2p";
                o["metadata"]!["finalizers"]!.AsArray().Add("quay-operator/finalizer");
            }),
            // A person edits with kubectl: a component and a label of their own.
            new("update", "kubectl-edit", Edit: o =>
            {
                o["spec"]!["components"]![0]!["managed"] = true;
                o["metadata"]!["labels"]!["owner"] = "ops";
            }),
            new("update", "kubectl-client-side-apply", Edit: o => o["metadata"]!["annotations"]!["note"] = "hand-edited"),
            // Re-applying the same configuration conflicts with both; forced, the gateway takes the fields back.
            new("apply", "quay-gateway", desired),
            new("apply", "quay-gateway", desired, Force: true),
            // The gateway stops applying a label and the bundle name: both go, as no one else owns them.
            new("apply", "quay-gateway", withoutTier),
            // The operator's status as an apply on /status, and a later status update taking a field from it.
            new("apply", "quay-operator-status", Registry(ns, name, """{"status":{"currentVersion":"3.9.1","lastUpdated":"2026-12-06T05:00:00Z"}}"""), Subresource: "status"),
            new("update", "quay-operator", Subresource: "status", Edit: o => o["status"]!["currentVersion"] = "3.9.2"),
            new("apply", "quay-operator-status", Registry(ns, name, """{"status":{"currentVersion":"3.9.1","lastUpdated":"2026-12-06T05:00:00Z"}}"""), Subresource: "status"),
        ]);

        // Beyond agreeing with the reference, the sequence shows what it is meant to: the unforced re-apply
        // conflicts with the operator and kubectl, and the status apply with the later status update.
        Assert.StartsWith("Apply failed with 2 conflicts: conflicts with \"kubectl-edit\" using quay.redhat.com/v1:", steps[5]["conflict"]!["message"]!.GetValue<string>());
        Assert.Equal("Apply failed with 1 conflict: conflict with \"quay-operator\" with subresource \"status\" using quay.redhat.com/v1: .status.currentVersion",
            steps[10]["conflict"]!["message"]!.GetValue<string>());
        Assert.Null(steps[7]["object"]!["spec"]!["configBundleSecret"]);
        Assert.Equal(["app", "owner"], steps[7]["object"]!["metadata"]!["labels"]!.AsObject().Select(p => p.Key).Order());
    }

    [Fact]
    public async Task Associative_lists_merge_by_key_sets_by_value_and_atomic_lists_whole()
    {
        var ns = sandbox.NewNamespace("ssa");
        const string name = "lists";
        var first = Registry(ns, name, """
            {"metadata":{"finalizers":["a/one","a/two"],"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"cm","uid":"u-1"}]},
             "spec":{"components":[{"kind":"quay","managed":true}]}}
            """);
        var second = Registry(ns, name, """
            {"metadata":{"finalizers":["b/one"],"ownerReferences":[{"apiVersion":"v1","kind":"Secret","name":"s","uid":"u-2"}]},
             "spec":{"components":[{"kind":"quay","managed":false}]}}
            """);
        var firstShrunk = Registry(ns, name, """
            {"metadata":{"finalizers":["a/two"],"ownerReferences":[]},"spec":{"components":[{"kind":"quay","managed":true}]}}
            """);
        await Verify(name, ns,
        [
            new("apply", "first", first),
            new("apply", "second", second),
            new("apply", "second", second, Force: true),
            new("apply", "first", firstShrunk),
            new("update", "kubectl-edit", Edit: o => o["metadata"]!["ownerReferences"]!.AsArray().Add(JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","name":"p","uid":"u-3"}"""))),
            new("apply", "second", Registry(ns, name, """{"metadata":{"finalizers":["b/one"]}}""")),
        ]);
    }

    private async Task<List<JsonObject>> Verify(string name, string ns, IReadOnlyList<Op> ops)
    {
        using var http = sandbox.Http();
        var path = $"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries/{name}";
        var sent = new JsonArray();
        var observed = new List<JsonObject>();
        foreach (var op in ops)
        {
            var suffix = op.Subresource is null ? "" : "/" + op.Subresource;
            HttpResponseMessage response;
            JsonObject body;
            if (op.Kind == "apply")
            {
                body = op.Config!;
                var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
                response = await http.PatchAsync($"{path}{suffix}?fieldManager={op.Manager}&force={(op.Force ? "true" : "false")}", content);
            }
            else
            {
                var live = JsonNode.Parse(await http.GetStringAsync(path))!.AsObject();
                op.Edit!(live);
                body = live;
                response = await http.PutAsync($"{path}{suffix}?fieldManager={op.Manager}", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            }
            var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            if (response.StatusCode == HttpStatusCode.Conflict) observed.Add(new JsonObject { ["conflict"] = Conflict(result) });
            else
            {
                Assert.True(response.IsSuccessStatusCode, $"{op.Kind} by {op.Manager}: {(int)response.StatusCode} {result.ToJsonString()}");
                observed.Add(new JsonObject { ["object"] = Content(result), ["managedFields"] = Entries(result["metadata"]!["managedFields"] as JsonArray ?? []) });
            }
            var oracleOp = new JsonObject { ["op"] = op.Kind, ["manager"] = op.Manager, ["force"] = op.Force, ["object"] = Content(body) };
            if (op.Subresource is not null) oracleOp["subresource"] = op.Subresource;
            sent.Add(oracleOp);
        }

        var oracle = await RunOracle(new JsonObject { ["apiVersion"] = ApiVersion, ["schema"] = QuayRegistryCrd.Instance.Schema.DeepClone(), ["ops"] = sent });
        var expected = oracle["steps"]!.AsArray();
        Assert.Equal(expected.Count, observed.Count);
        for (var i = 0; i < observed.Count; i++)
        {
            var want = expected[i]!.AsObject();
            var step = $"step {i + 1} ({ops[i].Kind} by {ops[i].Manager}{(ops[i].Force ? ", forced" : "")})";
            if (want["conflict"] is JsonObject conflict)
            {
                Assert.True(observed[i]["conflict"] is not null, $"{step}: the reference conflicts, the sandbox did not:\n{conflict.ToJsonString()}");
                Assert.Equal(conflict["message"]!.GetValue<string>(), observed[i]["conflict"]!["message"]!.GetValue<string>());
                AssertJson(step + " causes", Causes(conflict["causes"]!.AsArray()), observed[i]["conflict"]!["causes"]);
                continue;
            }
            Assert.True(observed[i]["conflict"] is null, $"{step}: the sandbox conflicts, the reference did not:\n{observed[i].ToJsonString()}");
            AssertJson(step + " object", want["object"], observed[i]["object"]);
            AssertJson(step + " managedFields", Entries(want["managedFields"] as JsonArray ?? []), observed[i]["managedFields"]);
        }
        return observed;
    }

    private static void AssertJson(string what, JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{what} differs from the reference.\nreference: {expected?.ToJsonString()}\nsandbox:   {actual?.ToJsonString()}");

    /// <summary>The object without what only the server adds (uid, resourceVersion, timestamps, managedFields).</summary>
    private static JsonObject Content(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject meta)
        {
            foreach (var key in new[] { "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields" }) meta.Remove(key);
        }
        return copy;
    }

    /// <summary>Entries keyed by owner, with the fields (time left out: the sandbox's clock is not the oracle's).</summary>
    private static JsonArray Entries(JsonArray managed) => new(managed.OfType<JsonObject>()
        .OrderBy(e => e["operation"]!.GetValue<string>(), StringComparer.Ordinal).ThenBy(e => e["manager"]!.GetValue<string>(), StringComparer.Ordinal)
        .ThenBy(e => e["subresource"]?.GetValue<string>() ?? "", StringComparer.Ordinal)
        .Select(e => (JsonNode)new JsonObject
        {
            ["manager"] = e["manager"]!.DeepClone(),
            ["operation"] = e["operation"]!.DeepClone(),
            ["subresource"] = e["subresource"]?.DeepClone(),
            ["apiVersion"] = e["apiVersion"]!.DeepClone(),
            ["fieldsType"] = e["fieldsType"]!.DeepClone(),
            ["fieldsV1"] = e["fieldsV1"]!.DeepClone(),
        }).ToArray());

    private static JsonObject Conflict(JsonObject status)
    {
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        return new JsonObject { ["message"] = status["message"]!.DeepClone(), ["causes"] = Causes(status["details"]!["causes"]!.AsArray()) };
    }

    /// <summary>Causes in a fixed order (the API server's order across managers follows a Go map).</summary>
    private static JsonArray Causes(JsonArray causes) => new(causes.OfType<JsonObject>()
        .Select(c => new { Reason = c["reason"]!.GetValue<string>(), Message = c["message"]!.GetValue<string>(), Field = c["field"]!.GetValue<string>() })
        .OrderBy(c => c.Message, StringComparer.Ordinal).ThenBy(c => c.Field, StringComparer.Ordinal)
        .Select(c => (JsonNode)new JsonObject { ["reason"] = c.Reason, ["message"] = c.Message, ["field"] = c.Field }).ToArray());

    private static async Task<JsonObject> RunOracle(JsonObject input)
    {
        var script = Path.Combine(Repo.Root, "tests", "ssa-oracle", "run.sh");
        var start = new ProcessStartInfo(script) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input.ToJsonString());
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $"tests/ssa-oracle failed (exit {process.ExitCode}); it needs go and golang-k8s-sigs-structured-merge-diff-dev:\n{await stderr}");
        return JsonNode.Parse(await stdout)!.AsObject();
    }
}
