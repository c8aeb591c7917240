using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayGateway.Tests.Packaging;

/// <summary>What can be checked in the chart's templates without Helm: RBAC, shape, the values they read, the workload.</summary>
public sealed partial class ChartTemplateTests
{
    private static string TemplatesDir => Path.Combine(ChartYaml.ChartDir, "templates");

    private static string Template(string name) => File.ReadAllText(Path.Combine(TemplatesDir, name));

    /// <summary>
    /// Exactly what the gateway uses (issue 7, checked against Clusters/ClusterClient.cs; issue 18: derived from what
    /// the gateway asks the sandbox for in GatewayRbacTests): secrets need patch because the config bundle is written
    /// with server-side apply, and create because an apply that creates is authorized as create too; no leases,
    /// because leadership is a PostgreSQL advisory lock.
    /// </summary>
    private static readonly string[] ExpectedRules =
    [
        "/namespaces: create,delete,get",
        "/secrets: create,delete,get,patch",
        "quay.redhat.com/quayregistries: create,delete,get,list,patch,watch",
        "/pods: list,watch",
        "batch/jobs: list,watch",
        "autoscaling/horizontalpodautoscalers: list,watch",
    ];

    [Fact]
    public void ClusterRole_grants_exactly_the_listed_rules()
    {
        var documents = ChartYaml.AllDocumentsToJson(ChartYaml.Blank(Template("clusterrole.yaml")));
        var role = documents.Single(d => (string?)d?["kind"] == "ClusterRole")!;
        var granted = new List<string>();
        foreach (var rule in role["rules"]!.AsArray())
        {
            Assert.Null(rule!["resourceNames"]);
            Assert.Null(rule["nonResourceURLs"]);
            var verbs = rule["verbs"]!.AsArray().Select(v => (string)v!).Order(StringComparer.Ordinal).ToList();
            Assert.DoesNotContain("*", verbs);
            foreach (var group in rule["apiGroups"]!.AsArray())
            {
                foreach (var resource in rule["resources"]!.AsArray())
                {
                    Assert.NotEqual("*", (string?)resource);
                    granted.Add($"{(string)group!}/{(string)resource!}: {string.Join(',', verbs)}");
                }
            }
        }

        Assert.Equal(ExpectedRules.Order(StringComparer.Ordinal), granted.Order(StringComparer.Ordinal));

        var binding = documents.Single(d => (string?)d?["kind"] == "ClusterRoleBinding")!;
        Assert.Equal("ClusterRole", (string?)binding["roleRef"]!["kind"]);
        Assert.Equal("ServiceAccount", (string?)binding["subjects"]![0]!["kind"]);
    }

    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TemplatesDir, "*.yaml").Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_template_is_a_labelled_Kubernetes_object(string file)
    {
        foreach (var document in ChartYaml.AllDocumentsToJson(ChartYaml.Blank(Template(file))))
        {
            Assert.NotNull(document);
            Assert.False(string.IsNullOrEmpty((string?)document["apiVersion"]), $"{file}: no apiVersion");
            Assert.False(string.IsNullOrEmpty((string?)document["kind"]), $"{file}: no kind");
            Assert.NotNull(document["metadata"]?["name"]);
        }

        Assert.Contains("include \"quay-gateway.labels\"", Template(file), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_value_a_template_reads_exists_in_values_yaml()
    {
        var values = ChartYaml.ToJson(File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "values.yaml")))!;
        var missing = new List<string>();
        foreach (var file in Directory.GetFiles(TemplatesDir).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".tpl", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal)))
        {
            foreach (Match match in ValuesReference().Matches(File.ReadAllText(file)))
            {
                JsonNode? node = values;
                foreach (var part in match.Groups[1].Value.Split('.', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (node is not JsonObject map || !map.ContainsKey(part))
                    {
                        missing.Add($"{Path.GetFileName(file)}: .Values{match.Groups[1].Value}");
                        break;
                    }

                    node = map[part];
                }
            }
        }

        Assert.Empty(missing.Distinct());
    }

    [Fact]
    public void Deployment_probes_runs_restricted_and_spreads()
    {
        var deployment = ChartYaml.ToJson(ChartYaml.Blank(Template("deployment.yaml")))!;
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/readyz", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(8080L, (long)container["ports"]![0]!["containerPort"]!);
        Assert.Equal(true, (bool?)pod["securityContext"]!["runAsNonRoot"]);
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        Assert.Contains("/tmp", container["volumeMounts"]!.AsArray().Select(m => (string?)m!["mountPath"]));
        Assert.Contains("emptyDir", pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "tmp")!.AsObject().Select(p => p.Key));
        Assert.NotNull(pod["topologySpreadConstraints"]);

        var restricted = ChartYaml.ToJson(ChartYaml.Blank(Helper("quay-gateway.containerSecurityContext")))!;
        Assert.Equal(false, (bool?)restricted["allowPrivilegeEscalation"]);
        Assert.Equal(true, (bool?)restricted["readOnlyRootFilesystem"]);
        Assert.Equal(true, (bool?)restricted["runAsNonRoot"]);
        Assert.Equal(["ALL"], restricted["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("RuntimeDefault", (string?)restricted["seccompProfile"]!["type"]);
        Assert.Contains("include \"quay-gateway.containerSecurityContext\"", Template("deployment.yaml"), StringComparison.Ordinal);
        Assert.Contains("include \"quay-gateway.containerSecurityContext\"", Template("migration-job.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void Migration_job_runs_migrate_before_install_and_upgrade()
    {
        var job = ChartYaml.ToJson(ChartYaml.Blank(Template("migration-job.yaml")))!;
        Assert.Equal("pre-install,pre-upgrade", (string?)job["metadata"]!["annotations"]!["helm.sh/hook"]);
        var pod = job["spec"]!["template"]!["spec"]!;
        Assert.Equal("Never", (string?)pod["restartPolicy"]);
        Assert.Equal(["migrate"], pod["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!));
        // The Service and PodDisruptionBudget select the gateway's pods; a migration pod must not match.
        Assert.DoesNotContain("quay-gateway.selectorLabels", Template("migration-job.yaml"), StringComparison.Ordinal);

        // The chart-rendered connection string must exist before the Job: a hook with a lower weight.
        var secret = ChartYaml.ToJson(ChartYaml.Blank(Template("database-secret.yaml")))!;
        Assert.Equal("pre-install,pre-upgrade", (string?)secret["metadata"]!["annotations"]!["helm.sh/hook"]);
        Assert.True(int.Parse((string)secret["metadata"]!["annotations"]!["helm.sh/hook-weight"]!)
                    < int.Parse((string)job["metadata"]!["annotations"]!["helm.sh/hook-weight"]!));
    }

    [Fact]
    public void Clusters_become_gateway_settings_with_mounted_kubeconfigs()
    {
        var deployment = Template("deployment.yaml");
        Assert.Contains("Gateway__Clusters__{{ $name }}__InCluster", deployment, StringComparison.Ordinal);
        Assert.Contains("Gateway__Clusters__{{ $name }}__Kubeconfig", deployment, StringComparison.Ordinal);
        Assert.Contains("value: /etc/quay-gateway/clusters/{{ $name }}/kubeconfig", deployment, StringComparison.Ordinal);
        Assert.Contains("mountPath: /etc/quay-gateway/clusters/{{ $name }}", deployment, StringComparison.Ordinal);
        Assert.Contains("Gateway__Clusters__{{ $name }}__QuayProxy", deployment, StringComparison.Ordinal);
        Assert.Contains("Gateway__Clusters__{{ $name }}__AppsDomain", deployment, StringComparison.Ordinal);
        Assert.Contains("Gateway__Clusters__{{ $name }}__AllowInsecureQuay", deployment, StringComparison.Ordinal);
        // A list as one comma-separated value: the gateway splits it (ClusterCatalog).
        Assert.Contains("Gateway__Clusters__{{ $name }}__AllowedQuayDestinations", deployment, StringComparison.Ordinal);
        Assert.Contains("join \",\" .", deployment, StringComparison.Ordinal);
        Assert.Contains("Gateway__DataProtection__CertificatePath", deployment, StringComparison.Ordinal);
        Assert.Contains("Gateway__Auth__BootstrapApiKey", deployment, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unencrypted_key_ring_is_allowed_only_by_an_explicit_value()
    {
        var deployment = Template("deployment.yaml");
        var setting = deployment.IndexOf("- name: Gateway__DataProtection__AllowUnprotectedKeys", StringComparison.Ordinal);
        Assert.True(setting > 0, "the deployment never sets Gateway__DataProtection__AllowUnprotectedKeys");
        var guard = deployment.LastIndexOf("{{-", setting, StringComparison.Ordinal);
        Assert.Contains("if .Values.dataProtection.allowUnprotectedKeys", deployment[guard..setting], StringComparison.Ordinal);
        Assert.Equal(false, (bool?)ChartYaml.ToJson(File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "values.yaml")))!["dataProtection"]!["allowUnprotectedKeys"]);
        Assert.Contains("allowUnprotectedKeys", Template("NOTES.txt"), StringComparison.Ordinal);
    }

    private static string Helper(string name)
    {
        var helpers = Template("_helpers.tpl");
        var start = helpers.IndexOf($"define \"{name}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{name} is not defined in _helpers.tpl");
        var body = helpers[(helpers.IndexOf('\n', start) + 1)..];
        return body[..body.IndexOf("{{- end -}}", StringComparison.Ordinal)];
    }

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z0-9_]+)+)")]
    private static partial Regex ValuesReference();
}
