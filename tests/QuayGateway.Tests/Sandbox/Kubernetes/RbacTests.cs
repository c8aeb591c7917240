using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>
/// The sandbox's authorization as an apiserver's: bearer-token identities, RBAC objects served and obeyed, the real
/// Forbidden Status, apply authorized as create and patch, impersonation and <c>kubectl auth can-i</c>.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class RbacTests(SandboxFixture sandbox)
{
    /// <summary>Raw HTTP with this bearer token; null sends no credentials.</summary>
    private HttpClient As(string? token) => sandbox.Cluster.CreateApiClient(token);

    private string Token(string user, params string[] groups) => sandbox.Cluster.Authorization.IssueToken(UserInfo.User(user, groups));

    private static async Task<JsonObject> StatusOf(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private async Task<SandboxFixture.KubectlResult> Kubectl(params string[] args) => await sandbox.KubectlAsync(args);

    /// <summary><c>kubectl auth can-i</c>'s answer: "yes" (exit 0) or "no" (exit 1).</summary>
    private async Task<string> CanI(params string[] args)
    {
        var result = await sandbox.KubectlAsync(["auth", "can-i", .. args]);
        var answer = result.Stdout.Trim();
        Assert.True((answer, result.ExitCode) is ("yes", 0) or ("no", 1), $"kubectl auth can-i {string.Join(' ', args)}: {result}");
        return answer;
    }

    private async Task<string> Ok(params string[] args)
    {
        var result = await sandbox.KubectlAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result}");
        return result.Stdout;
    }

    [Fact]
    public async Task Denied_requests_get_the_real_Forbidden_status_worded_by_scope_name_and_subresource()
    {
        var ns = sandbox.NewNamespace("rbac");
        using var alice = As(Token("alice"));

        var list = await StatusOf(await alice.GetAsync($"/api/v1/namespaces/{ns}/pods"), HttpStatusCode.Forbidden);
        Assert.Equal("Status", (string?)list["kind"]);
        Assert.Equal("Failure", (string?)list["status"]);
        Assert.Equal("Forbidden", (string?)list["reason"]);
        Assert.Equal(403, (int)list["code"]!);
        Assert.Equal($"pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\"", (string?)list["message"]);
        Assert.Equal("""{"kind":"pods"}""", list["details"]!.ToJsonString());

        var cluster = await StatusOf(await alice.GetAsync("/api/v1/namespaces"), HttpStatusCode.Forbidden);
        Assert.Equal("namespaces is forbidden: User \"alice\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope", (string?)cluster["message"]);

        // A namespace's own requests are in that namespace, as the apiserver's RequestInfo puts them.
        var own = await StatusOf(await alice.GetAsync($"/api/v1/namespaces/{ns}"), HttpStatusCode.Forbidden);
        Assert.Equal($"namespaces \"{ns}\" is forbidden: User \"alice\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"{ns}\"", (string?)own["message"]);

        var status = await StatusOf(await alice.PutAsync($"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries/r1/status",
            new StringContent("{}", Encoding.UTF8, "application/json")), HttpStatusCode.Forbidden);
        Assert.Equal($"quayregistries.quay.redhat.com \"r1\" is forbidden: User \"alice\" cannot update resource \"quayregistries/status\" in API group \"quay.redhat.com\" in the namespace \"{ns}\"",
            (string?)status["message"]);
        Assert.Equal("""{"name":"r1","group":"quay.redhat.com","kind":"quayregistries"}""", status["details"]!.ToJsonString());

        // system:anonymous, impersonated by the admin.
        using var anonymous = As(SandboxAuthorization.AdminToken);
        anonymous.DefaultRequestHeaders.Add("Impersonate-User", "system:anonymous");
        var denied = await StatusOf(await anonymous.DeleteAsync($"/api/v1/namespaces/{ns}/secrets"), HttpStatusCode.Forbidden);
        Assert.Equal($"secrets is forbidden: User \"system:anonymous\" cannot deletecollection resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", (string?)denied["message"]);

        using var stranger = As("not-a-token");
        var unauthorized = await StatusOf(await stranger.GetAsync($"/api/v1/namespaces/{ns}/pods"), HttpStatusCode.Unauthorized);
        Assert.Equal(("Unauthorized", "Unauthorized"), ((string?)unauthorized["reason"], (string?)unauthorized["message"]));

        // The admin kubeconfig is system:masters, as before.
        Assert.Contains(ns, await Ok("get", "namespaces", "-o", "name"));
    }

    [Fact]
    public async Task A_request_without_credentials_is_system_anonymous_while_the_admin_kubeconfig_stays_the_admin()
    {
        var ns = sandbox.NewNamespace("rbac");
        await Ok("create", "secret", "generic", "kept", "-n", ns, "--from-literal=a=b");

        // No Authorization header over HTTPS: system:anonymous, bound to nothing, as on a real cluster.
        using var nobody = As(null);
        var list = await StatusOf(await nobody.GetAsync($"/api/v1/namespaces/{ns}/secrets"), HttpStatusCode.Forbidden);
        Assert.Equal($"secrets is forbidden: User \"system:anonymous\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", (string?)list["message"]);
        var delete = await StatusOf(await nobody.DeleteAsync($"/api/v1/namespaces/{ns}"), HttpStatusCode.Forbidden);
        Assert.Equal($"namespaces \"{ns}\" is forbidden: User \"system:anonymous\" cannot delete resource \"namespaces\" in API group \"\" in the namespace \"{ns}\"", (string?)delete["message"]);
        Assert.NotNull(sandbox.Cluster.Store.Get("namespaces", null, ns));

        // The admin kubeconfig sends its bearer token over HTTPS: kubectl and KubernetesClient are system:masters.
        Assert.Equal("yes", await CanI("delete", "namespaces"));
        Assert.Contains("secret/kept", await Ok("get", "secrets", "-n", ns, "-o", "name"));
        var secrets = await sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns);
        Assert.Equal(["kept"], secrets.Items.Select(s => s.Metadata.Name));
        using var admin = As(SandboxAuthorization.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/namespaces/{ns}/secrets")).StatusCode);
    }

    [Fact]
    public async Task Roles_and_bindings_are_served_to_kubectl_and_a_RoleBinding_grants_its_namespace_only()
    {
        var ns = sandbox.NewNamespace("rbac");
        var other = sandbox.NewNamespace("rbac");
        const string bob = "bob"; // kubectl acts as bob by impersonation, with the admin's token
        var resources = await Ok("api-resources", "--api-group", "rbac.authorization.k8s.io", "-o", "name");
        Assert.Equal(["clusterrolebindings.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io"],
            resources.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        var denied = await Kubectl("get", "secrets", "-n", ns, "--as", bob);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains($"Error from server (Forbidden): secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", denied.Stderr);

        Assert.Equal("role.rbac.authorization.k8s.io/secret-reader created", (await Ok("create", "role", "secret-reader", "--verb=get,list", "--resource=secrets", "-n", ns)).Trim());
        Assert.Equal("rolebinding.rbac.authorization.k8s.io/bob-reads created", (await Ok("create", "rolebinding", "bob-reads", "--role=secret-reader", "--user=bob", "-n", ns)).Trim());
        Assert.Contains("secret-reader", await Ok("get", "roles", "-n", ns));
        Assert.Contains("Role/secret-reader", await Ok("get", "rolebinding", "bob-reads", "-n", ns, "-o", "jsonpath={.roleRef.kind}/{.roleRef.name}"));

        Assert.Equal(0, (await Kubectl("get", "secrets", "-n", ns, "--as", bob)).ExitCode);
        var elsewhere = await Kubectl("get", "secrets", "-n", other, "--as", bob);
        Assert.Contains($"User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{other}\"", elsewhere.Stderr);
        var write = await Kubectl("create", "secret", "generic", "s1", "-n", ns, "--from-literal=a=b", "--as", bob);
        Assert.Contains($"User \"bob\" cannot create resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", write.Stderr);

        // A ClusterRole bound cluster-wide to a group: every namespace.
        await Ok("create", "clusterrole", $"{ns}-pod-reader", "--verb=list", "--resource=pods");
        await Ok("create", "clusterrolebinding", $"{ns}-pod-readers", $"--clusterrole={ns}-pod-reader", "--group=pod-readers");
        using var carol = As(Token("carol", "pod-readers"));
        Assert.Equal(HttpStatusCode.OK, (await carol.GetAsync("/api/v1/pods")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carol.GetAsync($"/api/v1/namespaces/{other}/secrets")).StatusCode);

        await Ok("delete", "rolebinding", "bob-reads", "-n", ns);
        Assert.NotEqual(0, (await Kubectl("get", "secrets", "-n", ns, "--as", bob)).ExitCode);
        await Ok("delete", "clusterrolebinding", $"{ns}-pod-readers");
        await Ok("delete", "clusterrole", $"{ns}-pod-reader");
    }

    [Fact]
    public async Task An_apply_that_creates_is_authorized_as_create_and_patch()
    {
        var ns = sandbox.NewNamespace("rbac");
        await Ok("create", "role", "patcher", "--verb=patch", "--resource=secrets", "-n", ns);
        await Ok("create", "rolebinding", "dave-patches", "--role=patcher", "--user=dave", "-n", ns);
        using var dave = As(Token("dave"));

        static StringContent Apply(string name) => new($"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\nstringData:\n  a: b\n", Encoding.UTF8, "application/apply-patch+yaml");
        var create = await StatusOf(await dave.PatchAsync($"/api/v1/namespaces/{ns}/secrets/new-one?fieldManager=dave", Apply("new-one")), HttpStatusCode.Forbidden);
        Assert.Equal($"secrets \"new-one\" is forbidden: User \"dave\" cannot create resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", (string?)create["message"]);

        await Ok("create", "secret", "generic", "existing", "-n", ns, "--from-literal=a=a");
        Assert.Equal(HttpStatusCode.OK, (await dave.PatchAsync($"/api/v1/namespaces/{ns}/secrets/existing?fieldManager=dave", Apply("existing"))).StatusCode);

        await Ok("create", "role", "creator", "--verb=create", "--resource=secrets", "-n", ns);
        await Ok("create", "rolebinding", "dave-creates", "--role=creator", "--user=dave", "-n", ns);
        Assert.True((await dave.PatchAsync($"/api/v1/namespaces/{ns}/secrets/new-one?fieldManager=dave", Apply("new-one"))).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Impersonation_needs_the_impersonate_verb_and_kubectl_as_and_auth_can_i_work()
    {
        var ns = sandbox.NewNamespace("rbac");
        await Ok("create", "role", "registry-reader", "--verb=get,list,watch", "--resource=quayregistries.quay.redhat.com", "-n", ns);
        await Ok("create", "rolebinding", "readers", "--role=registry-reader", "--group=registry-readers", "--serviceaccount=robots:r2", "-n", ns);

        Assert.Equal("no", await CanI("list", "quayregistries", "-n", ns, "--as", "erin"));
        Assert.Equal("yes", await CanI("list", "quayregistries", "-n", ns, "--as", "erin", "--as-group", "registry-readers"));
        Assert.Equal("no", await CanI("delete", "quayregistries", "-n", ns, "--as", "erin", "--as-group", "registry-readers"));
        Assert.Equal("yes", await CanI("watch", "quayregistries.quay.redhat.com", "-n", ns, "--as", "system:serviceaccount:robots:r2"));
        Assert.Equal("yes", await CanI("delete", "namespaces")); // the admin
        Assert.Equal(0, (await Kubectl("get", "quayregistries", "-n", ns, "--as", "erin", "--as-group", "registry-readers")).ExitCode);

        // A service account's token: its user and groups.
        using var robot = As(sandbox.Cluster.Authorization.IssueToken(UserInfo.ServiceAccount("robots", "r2")));
        Assert.Equal(HttpStatusCode.OK, (await robot.GetAsync($"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries")).StatusCode);
        var review = await StatusOf(await robot.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", new StringContent(
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"kube-system","verb":"get","group":"quay.redhat.com","resource":"quayregistries"}}}""",
            Encoding.UTF8, "application/json")), HttpStatusCode.Created);
        Assert.Equal(false, (bool?)review["status"]!["allowed"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await robot.GetAsync("/apis/quay.redhat.com/v1/namespaces/kube-system/quayregistries")).StatusCode);

        // Without the impersonate verb: the apiserver's Forbidden, about the user being impersonated.
        using var frank = As(Token("frank"));
        frank.DefaultRequestHeaders.Add("Impersonate-User", "erin");
        var refused = await StatusOf(await frank.GetAsync($"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries"), HttpStatusCode.Forbidden);
        Assert.Equal("users \"erin\" is forbidden: User \"frank\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", (string?)refused["message"]);
        await Ok("create", "clusterrole", $"{ns}-impersonator", "--verb=impersonate", "--resource=users", "--resource-name=erin");
        await Ok("create", "clusterrolebinding", $"{ns}-impersonator", $"--clusterrole={ns}-impersonator", "--user=frank");
        var asErin = await StatusOf(await frank.GetAsync($"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries"), HttpStatusCode.Forbidden);
        Assert.Equal($"quayregistries.quay.redhat.com is forbidden: User \"erin\" cannot list resource \"quayregistries\" in API group \"quay.redhat.com\" in the namespace \"{ns}\"", (string?)asErin["message"]);
        frank.DefaultRequestHeaders.Add("Impersonate-Group", "registry-readers");
        var group = await StatusOf(await frank.GetAsync($"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries"), HttpStatusCode.Forbidden);
        Assert.Equal("groups \"registry-readers\" is forbidden: User \"frank\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope", (string?)group["message"]);
        await Ok("delete", "clusterrolebinding", $"{ns}-impersonator");
        await Ok("delete", "clusterrole", $"{ns}-impersonator");
    }
}
