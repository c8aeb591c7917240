using System.Text.Json;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Registries.Api;

public sealed class RegistryRequestValidatorTests
{
    private static readonly string[] Clusters = ["sandbox", "edge"];

    private static Dictionary<string, string[]> Validate(CreateRegistryRequest request) =>
        RegistryRequestValidator.Validate(request, Clusters);

    private static CreateRegistryRequest Minimal => new("example-registry", "quay-enterprise");

    private static Dictionary<string, JsonElement> Overrides(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    [Fact]
    public void The_three_requests_of_the_source_document_are_valid()
    {
        Assert.Empty(Validate(Minimal));
        Assert.Empty(Validate(Minimal with
        {
            Components = [new("clair", false), new("horizontalpodautoscaler", false), new("mirror", false), new("monitoring", false)],
        }));
        Assert.Empty(Validate(Minimal with { ConfigBundleSecret = "init-config-bundle-secret" }));
    }

    [Theory]
    [InlineData("Example", "name")]
    [InlineData("-registry", "name")]
    [InlineData("a_b", "name")]
    [InlineData("", "name")]
    public void Name_must_be_a_dns_label(string name, string field) =>
        Assert.Contains(field, Validate(Minimal with { Name = name }).Keys);

    [Fact]
    public void Name_longer_than_63_is_refused() =>
        Assert.Contains("name", Validate(Minimal with { Name = new string('a', 64) }).Keys);

    [Fact]
    public void Namespace_must_be_a_dns_label() =>
        Assert.Contains("namespace", Validate(Minimal with { Namespace = "Quay.Enterprise" }).Keys);

    [Fact]
    public void Unknown_cluster_is_refused() =>
        Assert.Contains("cluster", Validate(Minimal with { Cluster = "nowhere" }).Keys);

    [Fact]
    public void Component_kind_must_come_from_the_crd_enum()
    {
        var errors = Validate(Minimal with { Components = [new("builder", true)] });
        Assert.Contains("components[0].kind", errors.Keys);
        Assert.Contains("clairpostgres", errors["components[0].kind"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_component_kinds_are_refused() =>
        Assert.Contains("components[1].kind", Validate(Minimal with { Components = [new("clair", false), new("clair", true)] }).Keys);

    [Fact]
    public void Managed_is_required() =>
        Assert.Contains("components[0].managed", Validate(Minimal with { Components = [new("clair", null)] }).Keys);

    [Fact]
    public void Quay_cannot_be_unmanaged() =>
        Assert.Contains("components[0].managed", Validate(Minimal with { Components = [new("quay", false)] }).Keys);

    [Fact]
    public void Overrides_on_an_unmanaged_component_are_refused_with_the_crd_message()
    {
        var errors = Validate(Minimal with { Components = [new("clair", false, Overrides("""{"labels":{"a":"b"}}"""))] });
        Assert.Equal("cannot set overrides on unmanaged component.", errors["components[0].overrides"][0]);
    }

    [Fact]
    public void SecretRef_on_a_managed_component_is_refused() =>
        Assert.Contains("components[0].secretRef", Validate(Minimal with { Components = [new("tls", true, SecretRef: new("my-tls"))] }).Keys);

    [Fact]
    public void Replicas_must_be_zero_or_omitted_while_the_hpa_is_managed()
    {
        var withManagedHpa = Validate(Minimal with { Components = [new("quay", true, Overrides("""{"replicas":3}"""))] });
        Assert.Contains("managed HPA", withManagedHpa["components[0].overrides.replicas"][0], StringComparison.Ordinal);

        Assert.Empty(Validate(Minimal with { Components = [new("quay", true, Overrides("""{"replicas":0}"""))] }));
        Assert.Empty(Validate(Minimal with
        {
            Components = [new("quay", true, Overrides("""{"replicas":3}""")), new("horizontalpodautoscaler", false)],
        }));
    }

    [Fact]
    public void Replicas_must_be_a_non_negative_whole_number() =>
        Assert.Contains("components[0].overrides.replicas", Validate(Minimal with
        {
            Components = [new("quay", true, Overrides("""{"replicas":-1}""")), new("horizontalpodautoscaler", false)],
        }).Keys);

    [Fact]
    public void Replicas_apply_only_to_clair_mirror_and_quay() =>
        Assert.Contains("components[0].overrides.replicas", Validate(Minimal with
        {
            Components = [new("postgres", true, Overrides("""{"replicas":0}"""))],
        }).Keys);

    [Fact]
    public void Unknown_override_keys_are_refused() =>
        Assert.Contains("components[0].overrides.cpu", Validate(Minimal with { Components = [new("quay", true, Overrides("""{"cpu":1}"""))] }).Keys);

    [Theory]
    [InlineData("postgres", "DB_URI: postgresql://u:p@db/quay")]
    [InlineData("postgres", "DB_CONNECTION_ARGS: {}")]
    [InlineData("objectstorage", "DISTRIBUTED_STORAGE_CONFIG: {}")]
    [InlineData("redis", "BUILDLOGS_REDIS: {host: r}")]
    [InlineData("route", "SERVER_HOSTNAME: quay.example.com")]
    public void An_unmanaged_required_component_is_accepted_when_config_carries_its_settings(string kind, string config) =>
        Assert.Empty(Validate(Minimal with
        {
            Components = [new(kind, false)],
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = config },
        }));

    [Theory]
    [InlineData("postgres")]
    [InlineData("objectstorage")]
    [InlineData("redis")]
    [InlineData("route")]
    [InlineData("tls")]
    public void An_unmanaged_required_component_without_its_settings_is_refused(string kind)
    {
        var errors = Validate(Minimal with
        {
            Components = [new(kind, false)],
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" },
        });
        Assert.Contains($"required component `{kind}` marked as unmanaged", errors["components[0]"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Unmanaged_tls_is_accepted_with_the_pair_in_the_bundle() =>
        Assert.Empty(Validate(Minimal with
        {
            Components = [new("tls", false)],
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = "{}", ["ssl.cert"] = "CERT", ["ssl.key"] = "KEY" },
        }));

    [Theory]
    [InlineData("postgres", "DB_URI: postgresql://x")]
    [InlineData("objectstorage", "DISTRIBUTED_STORAGE_CONFIG: {}")]
    public void A_managed_component_whose_settings_are_in_config_is_refused(string kind, string config) =>
        Assert.Contains("marked as managed", Validate(Minimal with
        {
            Components = [new(kind, true)],
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = config },
        })["components[0]"][0], StringComparison.Ordinal);

    [Fact]
    public void With_an_external_bundle_secret_component_config_is_left_to_the_operator() =>
        Assert.Empty(Validate(Minimal with { Components = [new("postgres", false)], ConfigBundleSecret = "external-bundle" }));

    [Theory]
    [InlineData("- a\n- b\n")]
    [InlineData("just a string")]
    [InlineData("key: [unclosed\n")]
    public void Config_yaml_must_be_a_mapping(string config) =>
        Assert.Contains("configBundle.config.yaml", Validate(Minimal with
        {
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = config },
        }).Keys);

    [Fact]
    public void Bundle_must_contain_config_yaml() =>
        Assert.Contains("configBundle", Validate(Minimal with { ConfigBundle = new Dictionary<string, string> { ["other"] = "x" } }).Keys);

    [Fact]
    public void Bundle_and_bundle_secret_are_mutually_exclusive() =>
        Assert.Contains("configBundleSecret", Validate(Minimal with
        {
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = "{}" },
            ConfigBundleSecret = "init-config-bundle-secret",
        }).Keys);

    [Fact]
    public void Bundle_over_one_mebibyte_is_refused() =>
        Assert.Contains("configBundle", Validate(Minimal with
        {
            ConfigBundle = new Dictionary<string, string>
            {
                ["config.yaml"] = "{}", ["extra.pem"] = new string('x', RegistryRequestValidator.MaxBundleBytes),
            },
        }).Keys);

    [Fact]
    public void Invalid_bundle_keys_are_refused() =>
        Assert.Contains("configBundle.bad key", Validate(Minimal with
        {
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = "{}", ["bad key"] = "x" },
        }).Keys);

    private static CreateRegistryRequest WithUser(InitialUserRequest user) => Minimal with
    {
        ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" },
        InitialUser = user,
    };

    [Fact]
    public void A_valid_initial_user_passes() =>
        Assert.Empty(Validate(WithUser(new("quayadmin", "quayadmin@example.com", "quaypass123"))));

    [Theory]
    [InlineData("pass123", "Invalid password, password must be at least 8 characters and contain no whitespace.")]
    [InlineData("quay pass 123", "Invalid password, password must be at least 8 characters and contain no whitespace.")]
    public void Password_follows_quay_rules(string password, string message) =>
        Assert.Equal(message, Validate(WithUser(new("quayadmin", "quayadmin@example.com", password)))["initialUser.password"][0]);

    [Theory]
    [InlineData("QuayAdmin", "Invalid namespace QuayAdmin: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$")]
    [InlineData("q", "Invalid namespace q: Namespace must be between 2 and 255 characters in length")]
    public void Username_follows_quay_rules_with_quays_messages(string username, string message) =>
        Assert.Equal(message, Validate(WithUser(new(username, "quayadmin@example.com", "quaypass123")))["initialUser.username"][0]);

    [Fact]
    public void Email_follows_quay_rules() =>
        Assert.Equal("Invalid email address: not-an-email",
            Validate(WithUser(new("quayadmin", "not-an-email", "quaypass123")))["initialUser.email"][0]);

    [Fact]
    public void Initial_user_needs_user_initialize_enabled_in_the_inline_config()
    {
        var errors = Validate(Minimal with { InitialUser = new("quayadmin", "quayadmin@example.com", "quaypass123") });
        Assert.Contains("FEATURE_USER_INITIALIZE", errors["initialUser"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Organizations_need_an_initial_user_and_valid_unique_names()
    {
        Assert.Contains("organizations", Validate(Minimal with { Organizations = [new("testorg", null)] }).Keys);
        var errors = Validate(WithUser(new("quayadmin", "quayadmin@example.com", "quaypass123")) with
        {
            Organizations = [new("testorg", "testorg@example.com"), new("testorg", null), new("TestOrg", null), new("ok-org", "bad")],
        });
        Assert.Contains("organizations[1].name", errors.Keys);
        Assert.Contains("organizations[2].name", errors.Keys);
        Assert.Contains("organizations[3].email", errors.Keys);
        Assert.DoesNotContain("organizations[0].name", errors.Keys);
    }

    [Fact]
    public void Organizations_need_an_unused_email_while_Quay_sends_mail()
    {
        var errors = Validate(WithUser(new("quayadmin", "quayadmin@example.com", "quaypass123")) with
        {
            Organizations = [new("noemail", null), new("sameasadmin", "QuayAdmin@example.com"), new("fine", "fine@example.com"), new("again", "fine@example.com")],
        });

        Assert.Equal("Email address is required", errors["organizations[0].email"][0]);
        Assert.Equal("Email has already been used: QuayAdmin@example.com", errors["organizations[1].email"][0]);
        Assert.DoesNotContain("organizations[2].email", errors.Keys);
        Assert.Equal("Email has already been used: fine@example.com", errors["organizations[3].email"][0]);
    }

    [Fact]
    public void Organizations_may_go_without_email_when_the_config_turns_mail_off()
    {
        var request = WithUser(new("quayadmin", "quayadmin@example.com", "quaypass123"));
        var noMail = request with
        {
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = request.ConfigBundle!["config.yaml"] + "FEATURE_MAILING: false\n" },
            Organizations = [new("noemail", null)],
        };

        Assert.Empty(Validate(noMail));
    }

    [Fact]
    public void Labels_must_be_kubernetes_labels()
    {
        Assert.Empty(Validate(Minimal with { Labels = new Dictionary<string, string> { ["team"] = "payments", ["example.com/tier"] = "gold" } }));
        Assert.Contains("labels.bad key", Validate(Minimal with { Labels = new Dictionary<string, string> { ["bad key"] = "x" } }).Keys);
        Assert.Contains("labels.team", Validate(Minimal with { Labels = new Dictionary<string, string> { ["team"] = "has space" } }).Keys);
    }

    [Theory]
    [InlineData("""{"securityContext":{"privileged":true}}""", "components[0].overrides.securityContext.privileged", "privileged container")]
    [InlineData("""{"securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}}""", "components[0].overrides.securityContext.capabilities.add", "Added capabilities")]
    [InlineData("""{"securityContext":{"allowPrivilegeEscalation":true}}""", "components[0].overrides.securityContext.allowPrivilegeEscalation", "escalation")]
    [InlineData("""{"volumes":[{"name":"root","hostPath":{"path":"/"}}]}""", "components[0].overrides.volumes[0].hostPath", "hostPath is refused")]
    [InlineData("""{"affinity":{"nodeAffinity":{},"hostPath":{"path":"/"}}}""", "components[0].overrides.affinity.hostPath", "hostPath is refused")]
    [InlineData("""{"privileged":true}""", "components[0].overrides.privileged", "privileged container")]
    public void Overrides_that_would_reach_the_node_are_refused_with_the_field(string overrides, string field, string message)
    {
        var errors = Validate(Minimal with { Components = [new("quay", true, Overrides(overrides))] });

        Assert.True(errors.ContainsKey(field), $"no error for {field}: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}");
        Assert.Contains(errors[field], m => m.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"env":[{"name":"DEBUG","value":"true","hostPort":1}]}""", "components[0].overrides.env[0].hostPort")]
    [InlineData("""{"env":"DEBUG=true"}""", "components[0].overrides.env")]
    [InlineData("""{"resources":{"limits":{"cpu":"1"},"claims":[]}}""", "components[0].overrides.resources.claims")]
    [InlineData("""{"labels":{"team":1}}""", "components[0].overrides.labels")]
    [InlineData("""{"securityContext":{"seLinuxOptions":{},"sysctls":[]}}""", "components[0].overrides.securityContext.sysctls")]
    public void Overrides_take_the_shape_the_CRD_documents(string overrides, string field) =>
        Assert.Contains(field, Validate(Minimal with { Components = [new("quay", true, Overrides(overrides))] }).Keys);

    [Fact]
    public void Every_documented_override_in_its_documented_shape_is_accepted() =>
        Assert.Empty(Validate(Minimal with
        {
            Components =
            [
                new("horizontalpodautoscaler", false),
                new("quay", true, Overrides("""
                    {"replicas":3,"env":[{"name":"DEBUG","value":"true"},{"name":"X","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],
                     "resources":{"limits":{"cpu":"2","memory":"4Gi"},"requests":{"cpu":"1"}},
                     "affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[]}},
                     "labels":{"team":"payments"},"annotations":{"example.com/owner":"payments"},
                     "securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false,"privileged":false,"capabilities":{"drop":["ALL"]}}}
                    """)),
                new("postgres", true, Overrides("""{"volumeSize":"70Gi","storageClassName":"fast"}""")),
            ],
        }));
}
