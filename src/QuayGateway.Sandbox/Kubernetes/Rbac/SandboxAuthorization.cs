using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>One counted authorization decision: who asked to do what, and the answer.</summary>
public sealed record AuthorizationRecord(string User, string Verb, string Group, string Resource, bool Allowed);

/// <summary>
/// Authentication, impersonation and authorization of the sandbox's resource requests, as an apiserver does them:
/// bearer tokens name a user or service account (<see cref="IssueToken"/>); the admin kubeconfig's token is in
/// <c>system:masters</c>; an unknown token answers 401; no token is <c>system:anonymous</c>, as on a real cluster, or the
/// admin while the API server is plain HTTP (<see cref="SandboxOptions.AnonymousIsAdmin"/>: kubectl sends no token over plain HTTP). <c>Impersonate-User</c>
/// and <c>Impersonate-Group</c> need the <c>impersonate</c> verb. Every decision is counted
/// (<see cref="Decisions"/>), so a test can see which verbs a client used.
/// </summary>
public sealed class SandboxAuthorization
{
    /// <summary>The token of the admin kubeconfig's user: <c>kubernetes-admin</c> in <c>system:masters</c>.</summary>
    public const string AdminToken = "sandbox";

    private const string UserKey = "QuayGateway.Sandbox.User";

    private readonly ConcurrentDictionary<string, UserInfo> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<AuthorizationRecord, long> _decisions = new();

    private readonly UserInfo _anonymous;

    internal SandboxAuthorization(ObjectStore store, bool anonymousIsAdmin)
    {
        Rbac = new RbacAuthorizer(store);
        _tokens[AdminToken] = Admin;
        _anonymous = anonymousIsAdmin ? Admin : UserInfo.Anonymous;
    }

    /// <summary>The admin kubeconfig's user.</summary>
    public static UserInfo Admin { get; } = UserInfo.User("kubernetes-admin", UserInfo.Masters);

    public RbacAuthorizer Rbac { get; }

    /// <summary>A new bearer token that authenticates as <paramref name="user"/>.</summary>
    public string IssueToken(UserInfo user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var token = "sandbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = user;
        return token;
    }

    /// <summary>Decisions on resource requests since start (or <see cref="ResetDecisions"/>), with how many of each.</summary>
    public IReadOnlyDictionary<AuthorizationRecord, long> Decisions() => new Dictionary<AuthorizationRecord, long>(_decisions);

    public void ResetDecisions() => _decisions.Clear();

    /// <summary>The authenticated (and possibly impersonated) user of the request; 401 or 403 as a <see cref="KubernetesStatusException"/>.</summary>
    internal UserInfo Authenticate(HttpContext context)
    {
        if (context.Items[UserKey] is UserInfo known) return known;
        var header = context.Request.Headers.Authorization.ToString();
        UserInfo user;
        if (header.Length == 0)
        {
            user = _anonymous;
        }
        else if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && _tokens.TryGetValue(header[7..].Trim(), out var found))
        {
            user = found;
        }
        else
        {
            throw new KubernetesStatusException(401, "Unauthorized", "Unauthorized");
        }
        user = Impersonate(context.Request, user);
        context.Items[UserKey] = user;
        return user;
    }

    /// <summary>Throws the real Forbidden Status unless the user may do it.</summary>
    internal void Require(UserInfo user, RequestAttributes request)
    {
        var decision = Rbac.Authorize(user, request);
        _decisions.AddOrUpdate(new AuthorizationRecord(user.Name, request.Verb, request.Group, request.ResourceWithSubresource, decision.Allowed), 1, (_, n) => n + 1);
        if (!decision.Allowed) throw request.Forbidden(user, decision.Reason);
    }

    /// <summary>The <c>Impersonate-User</c> / <c>Impersonate-Group</c> headers, each checked with the <c>impersonate</c> verb.</summary>
    private UserInfo Impersonate(HttpRequest request, UserInfo requester)
    {
        var name = request.Headers["Impersonate-User"].ToString();
        var groups = request.Headers["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        if (name.Length == 0)
        {
            if (groups.Count > 0 || request.Headers.ContainsKey("Impersonate-Uid"))
                throw KubernetesStatusException.BadRequest($"requested [{string.Join(' ', groups.Select(g => $"{{Group {g}}}"))}] without impersonating a user");
            return requester;
        }

        var serviceAccount = UserInfo.ParseServiceAccount(name);
        Require(requester, serviceAccount is { } sa
            ? new RequestAttributes("impersonate", "", "serviceaccounts", null, sa.Namespace, sa.Name)
            : new RequestAttributes("impersonate", "", "users", null, null, name));
        foreach (var group in groups) Require(requester, new RequestAttributes("impersonate", "", "groups", null, null, group));

        if (serviceAccount is { } account && groups.Count == 0) groups.AddRange(UserInfo.ServiceAccountGroups(account.Namespace));
        if (name != UserInfo.Anonymous.Name && !groups.Contains(UserInfo.Authenticated)) groups.Add(UserInfo.Authenticated);
        return new UserInfo(name, groups.Distinct().ToList());
    }

    /// <summary><c>POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews</c>: what <c>kubectl auth can-i</c> asks.</summary>
    internal async Task SelfSubjectAccessReviewAsync(HttpContext context)
    {
        var user = Authenticate(context);
        if (context.Request.Method != "POST") throw KubernetesStatusException.MethodNotAllowed("the server does not allow this method on the requested resource");
        var review = RequestBody.RequireObject(await RequestBody.ReadAsync(context.Request, AccessReviewType, context.RequestAborted));
        var spec = review["spec"] as JsonObject ?? throw KubernetesStatusException.BadRequest("spec is required");
        AccessDecision decision;
        if (spec["resourceAttributes"] is JsonObject r)
        {
            var attributes = new RequestAttributes(r["verb"].Str() ?? "", r["group"].Str() ?? "", r["resource"].Str() ?? "",
                string.IsNullOrEmpty(r["subresource"].Str()) ? null : r["subresource"].Str(),
                string.IsNullOrEmpty(r["namespace"].Str()) ? null : r["namespace"].Str(),
                string.IsNullOrEmpty(r["name"].Str()) ? null : r["name"].Str());
            decision = Rbac.Authorize(user, attributes);
        }
        else if (spec["nonResourceAttributes"] is JsonObject n)
        {
            decision = Rbac.AuthorizeNonResource(user, n["verb"].Str() ?? "", n["path"].Str() ?? "");
        }
        else
        {
            throw KubernetesStatusException.Invalid(AccessReviewType, "", [("FieldValueRequired", "spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0) status["reason"] = decision.Reason;
        var answer = new JsonObject
        {
            ["kind"] = "SelfSubjectAccessReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
        await KubernetesApi.WriteAsync(context, 201, answer);
    }

    internal const string AccessReviewPath = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

    /// <summary>Not a stored resource: only discovery and the review endpoint know it.</summary>
    internal static readonly ResourceType AccessReviewType = new("selfsubjectaccessreviews", "", "SelfSubjectAccessReview", "authorization.k8s.io", "v1",
        false, false, false, false, [], []);
}
