using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Quay;

/// <summary>
/// What can honestly be known of a token an operator supplies. Quay tells no bearer its own token's scopes or expiry:
/// no endpoint describes "this token" (Quay 3.18's application token list shows scopes and expiries, but not which
/// entry a given secret is). What Quay does show is which fields of <c>GET /api/v1/user/</c> the token may see
/// (<c>user_view</c> in endpoints/api/user.py, with the OAuth scope caps of auth/permissions.py), so each field present
/// proves a scope. The result is a lower bound: the token may hold more than it could be seen to use.
/// </summary>
public static class QuayTokenScopes
{
    /// <summary>Every scope Quay grants OAuth tokens (auth/scopes.py <c>ALL_SCOPES</c>), in Quay's string form.</summary>
    public static readonly IReadOnlyList<string> All =
        ["org:admin", "repo:admin", "repo:create", "repo:read", "repo:write", "super:user", "user:admin", "user:read"];

    /// <summary>Why a supplied token's expiry is not shown; part of the credentials view.</summary>
    public const string ExpiryUnknownReason =
        "Quay does not tell a token's bearer when the token expires, and this token was supplied rather than minted by the gateway. " +
        "Quay refusing it (lastError, 409 quay-credentials-expired) is how its end shows.";

    /// <summary>
    /// The scopes Quay's answer to <c>GET /api/v1/user/</c> with the token proves:
    /// <list type="bullet">
    /// <item>Any answer with a username: <c>user:read</c> or <c>user:admin</c> (without either Quay answers 401 "Requires authentication").</item>
    /// <item><c>is_me</c>, <c>email</c> and the other private fields: <c>user:admin</c> (<c>UserAdminPermission</c>); without them, <c>user:read</c>.</item>
    /// <item><c>"super_user": true</c>: <c>super:user</c> (Quay adds the field only when the token carries it and the user is a superuser).</item>
    /// <item>An organization with <c>"is_org_admin": true</c>: <c>org:admin</c>, the only scope that lifts a token's team role to
    ///   admin. Not for a superuser's token: with <c>FEATURE_SUPERUSERS_FULL_ACCESS</c> that administers every organization anyway.</item>
    /// </list>
    /// The repository scopes show only against a repository, so they are never proven here.
    /// </summary>
    public static IReadOnlyList<string> ProvenBy(JsonNode? userView)
    {
        if (userView?["username"] is null)
        {
            return [];
        }

        var userAdmin = userView["is_me"] is not null;
        var superUser = IsTrue(userView["super_user"]);
        var orgAdmin = userAdmin && !superUser && userView["organizations"] is JsonArray organizations
                       && organizations.Any(o => IsTrue(o?["is_org_admin"]));
        return All.Where(scope => scope switch
        {
            "user:admin" => userAdmin,
            "user:read" => !userAdmin,
            "super:user" => superUser,
            "org:admin" => orgAdmin,
            _ => false,
        }).ToList();
    }

    /// <summary>The scopes not proven: the token may or may not hold them.</summary>
    public static IReadOnlyList<string> NotProven(IReadOnlyList<string> proven) => All.Except(proven, StringComparer.Ordinal).ToList();

    private static bool IsTrue(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.True;
}
