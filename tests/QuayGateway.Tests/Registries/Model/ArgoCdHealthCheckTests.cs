using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayGateway.Clusters;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Tests.Packaging;
using QuayGateway.Tests.Sandbox.Operator;
using YamlDotNet.RepresentationModel;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;
using static QuayGateway.Tests.Sandbox.SourceDocumentExamples;

namespace QuayGateway.Tests.Registries.Model;

/// <summary>
/// The chart's Argo CD health check (chart/quay-gateway/argocd/quayregistry-health.lua), run by a real Lua 5.1
/// interpreter, against the gateway's <see cref="StatusInterpreter"/> for a registry seen without history (Argo CD
/// keeps none): the operator's status examples, the source document's two status blocks, and every status the
/// sandbox's operator writes through a rollout of each kind. Any disagreement fails.
/// </summary>
public sealed class ArgoCdHealthCheckTests
{
    private static string Reference(string relative) =>
        Repo.PathOf("tests", "QuayGateway.Tests", "Sandbox", "Operator", "Reference", relative);

    private static string ScriptPath => Path.Combine(ChartYaml.ChartDir, "argocd", "quayregistry-health.lua");

    [Fact]
    public void The_operators_status_examples_agree()
    {
        var dir = Reference("status-examples");
        var files = Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(6, files.Count);
        var objects = files.Select(f => ToJson(File.ReadAllText(f))).ToList();
        // As the operator writes them once done: observedGeneration is the object's generation.
        foreach (var obj in objects)
        {
            obj["metadata"]!["generation"] = 1L;
            obj["status"]!["observedGeneration"] = 1L;
        }

        var results = AssertAgree(objects);
        Assert.All(results, r => Assert.Equal("Healthy", r.Status));
    }

    [Fact]
    public void The_source_documents_status_blocks_agree()
    {
        var blocks = SourceDocumentStatusBlocks();
        Assert.Equal(2, blocks.Count);

        var results = AssertAgree(blocks.Select(status => new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayRegistry",
            ["metadata"] = new JsonObject { ["name"] = "example-registry", ["namespace"] = Ns, ["generation"] = 1L },
            ["status"] = status.DeepClone(),
        }).ToList());

        Assert.Equal("Progressing", results[0].Status);
        Assert.StartsWith("MigrationsInProgress: running database migrations", results[0].Message, StringComparison.Ordinal);
        Assert.Contains("clair MinimumReplicasUnavailable: Deployment example-registry-clair-app", results[0].Message, StringComparison.Ordinal);
        Assert.Contains("mirror MinimumReplicasUnavailable", results[0].Message, StringComparison.Ordinal);
        Assert.Equal(("Healthy", "HealthChecksPassing: all registry component healthchecks passing"), results[1]);
    }

    [Fact]
    public void Hand_written_edge_cases_agree()
    {
        static JsonObject Obj(long generation, string status) => new()
        {
            ["metadata"] = new JsonObject { ["name"] = "r", ["generation"] = generation },
            ["status"] = status.Length == 0 ? null : JsonNode.Parse(status),
        };

        var results = AssertAgree(
        [
            Obj(1, ""),
            Obj(2, """{"observedGeneration":1,"currentVersion":"3.16.2","conditions":[{"type":"Available","status":"True","reason":"HealthChecksPassing"},{"type":"ComponentsCreated","status":"True"}]}"""),
            Obj(2, """{"observedGeneration":2,"conditions":[{"type":"Available","status":"True"},{"type":"RolloutBlocked","status":"True","reason":"ComponentOverrideInvalid","message":"invalid overrides"}]}"""),
            Obj(1, """{"observedGeneration":1,"conditions":[{"type":"ComponentsCreated","status":"False","reason":"PostgresUpgradeFailed","message":"upgrade failed"}]}"""),
            Obj(1, """{"observedGeneration":1,"conditions":[{"type":"ComponentsCreated","status":"False","reason":"MigrationsJobMissing"}]}"""),
            Obj(1, """{"observedGeneration":1,"conditions":[{"type":"Available","status":"True"},{"type":"ComponentsCreated","status":"False","reason":"MigrationsInProgress","message":"running database migrations"}]}"""),
            Obj(1, """{"observedGeneration":1,"conditions":[{"type":"ComponentHPAReady","status":"False","reason":"ComponentNotReady","message":"hpa missing"},{"type":"Available","status":"False","reason":"ComponentNotReady"},{"type":"ComponentsCreated","status":"True"}]}"""),
            Obj(1, """{"currentVersion":"3.6.0","conditions":[{"type":"Available","status":"True","reason":"MigrationsInProgress"}]}"""),
        ]);

        Assert.Equal(["Progressing", "Progressing", "Degraded", "Degraded", "Degraded", "Progressing", "Progressing", "Progressing"],
            results.Select(r => r.Status));
        Assert.Contains("horizontalpodautoscaler ComponentNotReady: hpa missing", results[6].Message, StringComparison.Ordinal);
        Assert.Equal("WaitingForOperator: The operator has not observed generation 2 yet.", results[1].Message);
    }

    public static TheoryData<string> SandboxScenarios() =>
        ["current", "3.6", "some-unmanaged", "config-bundle", "failed-migrations", "blocked", "crash-loop", "spec-change"];

    [Theory]
    [MemberData(nameof(SandboxScenarios))]
    public async Task Every_status_the_sandbox_writes_agrees(string scenario)
    {
        await using var h = new OperatorHarness(scenario == "3.6" ? "3.6" : "current", phaseDelayMs: 30);
        var seen = new List<JsonObject>();
        using var subscription = h.Store.Subscribe(e =>
        {
            if (e.Resource == "quayregistries" && e.Type != "DELETED")
            {
                lock (seen) seen.Add(e.Object);
            }
        });

        switch (scenario)
        {
            case "current" or "3.6":
                h.Create(Minimal);
                await h.WaitForAvailable("example-registry");
                break;
            case "some-unmanaged":
                h.Create(SomeUnmanaged);
                await h.WaitForAvailable("example-registry");
                break;
            case "config-bundle":
                h.CreateBundle("init-config-bundle-secret", "FEATURE_USER_INITIALIZE: true\n");
                h.Create(WithConfigBundle);
                await h.WaitForAvailable("example-registry");
                break;
            case "failed-migrations":
                h.Quay.OperatorFaults.AddFailedMigrations(new FailedMigrationsFault());
                h.Create(Minimal);
                await h.WaitFor("example-registry", r => Text(Condition(r, "ComponentsCreated")?["reason"]) == "MigrationsFailed");
                h.Quay.OperatorFaults.Clear();
                await h.WaitForAvailable("example-registry");
                break;
            case "blocked":
                h.CreateBundle("bundle", "FEATURE_USER_INITIALIZE: true\n");
                h.Create("""
                    apiVersion: quay.redhat.com/v1
                    kind: QuayRegistry
                    metadata:
                      name: example-registry
                    spec:
                      configBundleSecret: bundle
                      components:
                        - {kind: postgres, managed: false}
                    """);
                await h.WaitFor("example-registry", r => Text(Condition(r, "RolloutBlocked")?["status"]) == "True");
                break;
            case "crash-loop":
                h.Create(Minimal);
                await h.WaitForAvailable("example-registry");
                h.Quay.OperatorFaults.AddCrashLoop(new CrashLoopFault("quay"));
                await h.WaitFor("example-registry", r => Text(Condition(r, "Available")?["status"]) == "False");
                h.Quay.OperatorFaults.Clear();
                await h.WaitFor("example-registry", r => Text(Condition(r, "Available")?["status"]) == "True");
                break;
            case "spec-change":
                h.Create(Minimal);
                await h.WaitForAvailable("example-registry");
                var registry = h.Registry("example-registry");
                registry["spec"]!["components"] = new JsonArray(new JsonObject { ["kind"] = "mirror", ["managed"] = false });
                h.Store.Update("quayregistries", Ns, registry);
                await h.WaitFor("example-registry", r =>
                    r["status"]?["observedGeneration"]?.GetValue<long>() == r["metadata"]!["generation"]!.GetValue<long>()
                    && r["metadata"]!["generation"]!.GetValue<long>() > 1
                    && Text(Condition(r, "Available")?["status"]) == "True");
                break;
        }

        List<JsonObject> snapshots;
        lock (seen) snapshots = [.. seen];
        var results = AssertAgree(snapshots);

        Assert.Equal("Progressing", results[0].Status);
        var expectedLast = scenario == "blocked" ? "Degraded" : "Healthy";
        Assert.Equal(expectedLast, results[^1].Status);
        if (scenario == "failed-migrations")
        {
            Assert.Contains(results, r => r.Status == "Degraded" && r.Message.StartsWith("MigrationsFailed: ", StringComparison.Ordinal));
        }

        if (scenario == "crash-loop")
        {
            // Argo CD has no history: a registry that lost availability reads as Progressing, naming the component.
            Assert.Contains(results, r => r.Status == "Progressing" && r.Message.Contains("quay ComponentNotReady", StringComparison.Ordinal));
        }

        if (scenario == "spec-change")
        {
            Assert.Contains(results, r => r.Message.StartsWith("WaitingForOperator: ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_values_snippet_installs_exactly_the_script()
    {
        var snippet = new YamlStream();
        snippet.Load(new StringReader(File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "argocd", "values-argocd.yaml"))));
        var root = (YamlMappingNode)snippet.Documents[0].RootNode;
        var cm = (YamlMappingNode)((YamlMappingNode)root["configs"])["cm"];
        var script = ((YamlScalarNode)cm["resource.customizations.health.quay.redhat.com_QuayRegistry"]).Value;

        Assert.Equal(File.ReadAllText(ScriptPath).TrimEnd(), script!.TrimEnd());
    }

    /// <summary>The two <c>status:</c> blocks of the source document (section 4.1.4), parsed as YAML.</summary>
    private static List<JsonObject> SourceDocumentStatusBlocks()
    {
        var lines = File.ReadAllLines(Reference("seed-deploy-quay-with-operator.zh.txt"));
        var blocks = new List<JsonObject>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "  status:")
            {
                continue;
            }

            var block = new StringBuilder("status:\n");
            for (i++; i < lines.Length && lines[i].StartsWith("    ", StringComparison.Ordinal); i++)
            {
                block.Append(lines[i][2..]).Append('\n');
            }

            blocks.Add(ToJson(block.ToString())["status"]!.AsObject());
        }

        return blocks;
    }

    /// <summary>Runs the Lua script over every object and the interpreter likewise; fails on the first disagreement.</summary>
    private static List<(string Status, string Message)> AssertAgree(List<JsonObject> objects)
    {
        Assert.NotEmpty(objects);
        var lua = LuaVerdicts(objects);
        Assert.Equal(objects.Count, lua.Count);
        for (var i = 0; i < objects.Count; i++)
        {
            var obj = objects[i];
            var view = StatusInterpreter.Interpret(ToResource(obj), RegistryState.Progressing);
            var context = $"object {i}: {obj["status"]?.ToJsonString()}\nLua: {lua[i].Status} {lua[i].Message}\nInterpreter: {view.Health} {view.Reason}";
            Assert.True(view.Health.ToString() == lua[i].Status, context);
            Assert.True(lua[i].Message.StartsWith(view.Reason + ": ", StringComparison.Ordinal), context);
            foreach (var cause in view.Health == RegistryHealth.Healthy ? Array.Empty<HealthCause>() : view.Causes)
            {
                Assert.True(lua[i].Message.Contains($"{cause.Component} {cause.Reason}", StringComparison.Ordinal), context);
            }
        }

        return lua;
    }

    private static QuayRegistryResource ToResource(JsonObject obj) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = obj["metadata"]?["name"]?.GetValue<string>(),
            Generation = obj["metadata"]?["generation"]?.GetValue<long>(),
        },
        Status = obj["status"]?.DeepClone().AsObject(),
    };

    /// <summary>One lua5.1 process for the batch: each object becomes the global <c>obj</c>, as Argo CD sets it.</summary>
    private static List<(string Status, string Message)> LuaVerdicts(List<JsonObject> objects)
    {
        var program = new StringBuilder();
        program.Append("local check = assert(loadfile(").Append(LuaString(ScriptPath)).Append("))\n");
        program.Append("local objects = {\n");
        foreach (var obj in objects)
        {
            program.Append(ToLua(obj)).Append(",\n");
        }

        program.Append("}\nfor _, o in ipairs(objects) do\n  obj = o\n  local hs = check()\n");
        program.Append("  io.write(hs.status, \"\\t\", string.gsub(hs.message, \"\\n\", \" \"), \"\\n\")\nend\n");

        var file = Path.Combine(Path.GetTempPath(), $"qg-argocd-{Guid.NewGuid():N}.lua");
        File.WriteAllText(file, program.ToString());
        try
        {
            using var process = Start(file);
            var output = process.StandardOutput.ReadToEnd();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, errors);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('\t', 2))
                .Select(parts => (parts[0], parts[1]))
                .ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Process Start(string file)
    {
        try
        {
            return Process.Start(new ProcessStartInfo("lua5.1", [file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("The Argo CD health check is tested with a real Lua 5.1 interpreter: apt-get install -y lua5.1", e);
        }
    }

    private static string ToLua(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.Where(p => p.Value is not null).Select(p => $"[{LuaString(p.Key)}]={ToLua(p.Value)}")) + "}",
        JsonArray a => "{" + string.Join(",", a.Where(v => v is not null).Select(ToLua)) + "}",
        JsonValue v when v.TryGetValue<string>(out var s) => LuaString(s),
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v => v.ToJsonString(),
        _ => "nil",
    };

    private static string LuaString(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            if (b is (byte)'"' or (byte)'\\' || b < 0x20 || b >= 0x7f)
            {
                sb.Append('\\').Append(b.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.Append('"').ToString();
    }
}
