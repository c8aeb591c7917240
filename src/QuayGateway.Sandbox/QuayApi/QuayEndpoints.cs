using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>The Quay endpoints the gateway uses, answering with Quay's own status codes and bodies.</summary>
internal static partial class QuayEndpoints
{
    public static Task Dispatch(QuayInstance quay, HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var isPost = HttpMethods.IsPost(request.Method);
        var isGet = HttpMethods.IsGet(request.Method);
        if (DispatchOAuth(quay, context, path) is { } oauth)
        {
            return oauth;
        }

        return path switch
        {
            "/api/v1/user/initialize" when isPost => InitializeUser(quay, context),
            "/health/instance" when isGet => Health(context, ["auth", "database", "disk_space", "registry_gunicorn", "service_key", "web_gunicorn"]),
            "/health/endtoend" when isGet => Health(context, ["auth", "database", "redis", "storage"]),
            "/api/v1/organization/" when isPost => ApiResource(quay, context, CreateOrganization),
            "/api/v1/superuser/users/" when isGet => ApiResource(quay, context, ListUsers),
            _ when IsOrganizationResource(path) => ApiResource(quay, context, (q, c, user) => OrganizationResource(q, c, user, path)),
            _ when isGet && path.StartsWith("/api/v1/organization/", StringComparison.Ordinal) && path.Count(c => c == '/') == 4 =>
                ApiResource(quay, context, (q, c, user) => GetOrganization(q, c, user, path["/api/v1/organization/".Length..])),
            "/api/v1/organization" or "/api/v1/superuser/users" => RedirectToSlash(context, path),
            _ when path.StartsWith("/api/", StringComparison.Ordinal) => QuayResponses.ApiError(context, 404, "not_found", "Not Found"),
            _ => QuayResponses.Abort(context, 404, "Not Found"),
        };
    }

    /// <summary>
    /// The decorators every API resource runs first: OAuth (an expired or unknown token is just anonymous), CSRF
    /// protection for writes without a token, then the anonymous-access check.
    /// </summary>
    private static Task ApiResource(QuayInstance quay, HttpContext context, Func<QuayInstance, HttpContext, string?, Task> resource)
    {
        var user = AuthenticatedUser(quay, context.Request) ?? SessionUser(quay, context);
        if (user is null && !HttpMethods.IsGet(context.Request.Method))
        {
            return QuayResponses.Abort(context, 403, "CSRF token was invalid or missing.");
        }

        if (user is null && !quay.Config.AnonymousAccess)
        {
            return QuayResponses.Abort(context, 401, "Anonymous access is not allowed");
        }

        return resource(quay, context, user);
    }

    private static string? AuthenticatedUser(QuayInstance quay, HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            ? quay.Database.UserForToken(header[bearer.Length..].Trim())
            : null;
    }

    private static async Task InitializeUser(QuayInstance quay, HttpContext context)
    {
        var config = quay.Config;
        if (!config.UserInitialize)
        {
            await QuayResponses.Abort(context, 404, "Not Found");
            return;
        }

        if (config.AuthenticationType != "Database")
        {
            await QuayResponses.Jsonify(context, 400, Message("Cannot initialize user in a non-database auth system"));
            return;
        }

        if (!quay.Database.IsEmpty)
        {
            await QuayResponses.Jsonify(context, 400, Message("Cannot initialize user in a non-empty database"));
            return;
        }

        var body = await ReadJsonObject(context.Request);
        if (body?["username"] is not JsonValue username || body["password"] is not JsonValue password
            || username.GetValueKind() != JsonValueKind.String || password.GetValueKind() != JsonValueKind.String)
        {
            // Quay does not validate these keys; the KeyError surfaces as a plain 500.
            await QuayResponses.Abort(context, 500, "Internal Server Error");
            return;
        }

        var name = username.GetValue<string>();
        var email = body["email"] is JsonValue e && e.GetValueKind() == JsonValueKind.String ? e.GetValue<string>() : null;
        switch (quay.Database.CreateFirstUser(name, password.GetValue<string>(), email, config.Mailing, out var error))
        {
            case FirstUserOutcome.DatabaseNotEmpty:
                await QuayResponses.Jsonify(context, 400, Message("Cannot initialize user in a non-empty database"));
                return;
            case FirstUserOutcome.Invalid:
                await QuayResponses.Jsonify(context, 400, Message($"Failed to initialize user: {error}"));
                return;
        }

        var result = new JsonObject
        {
            ["username"] = name,
            ["email"] = email,
            ["encrypted_password"] = quay.Database.EncryptPassword(password.GetValue<string>()),
        };
        if (IsTruthy(body["access_token"]))
        {
            result["access_token"] = quay.Database.IssueToken(name);
        }

        // A real login happened, so Quay hands out a session cookie and the next CSRF token.
        context.Response.Headers["X-Next-CSRF-Token"] = Base64Url(48);
        context.Response.Headers.SetCookie = $"_csrf_token={Base64Url(32)}; HttpOnly; Path=/; SameSite=Lax";
        await QuayResponses.Jsonify(context, 200, result);
    }

    private static async Task CreateOrganization(QuayInstance quay, HttpContext context, string? user)
    {
        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        if (SchemaProblem(body) is { } schemaProblem)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", schemaProblem);
            return;
        }

        var config = quay.Config;
        if (user is null || (config.SuperUsersOrgCreationOnly && !config.SuperUsers.Contains(user)))
        {
            await Unauthorized(context, user);
            return;
        }

        var name = body["name"]!.GetValue<string>();
        var email = body["email"]?.GetValue<string>();
        if (quay.Database.Find(name) is not null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "A user or organization with this name already exists");
            return;
        }

        // Quay 3.9 to 3.17 (the sandbox's versions) insist on an e-mail while mailing is on.
        if (config.Mailing && string.IsNullOrEmpty(email))
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Email address is required");
            return;
        }

        if (quay.Database.CreateOrganization(name, email, config.Mailing, user) is { } problem)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", problem);
            return;
        }

        await QuayResponses.Restful(context, 201, "Created");
    }

    private static Task GetOrganization(QuayInstance quay, HttpContext context, string? user, string name)
    {
        if (quay.Database.Find(name) is not { IsOrganization: true } org)
        {
            return QuayResponses.ApiError(context, 404, "not_found", "Not Found");
        }

        var isAdmin = user is not null && org.AdminUser == user;
        var view = new JsonObject
        {
            ["name"] = org.Name,
            ["email"] = isAdmin ? org.Email : "",
            ["avatar"] = Avatar.For(org.Name, org.Email, "user"),
            ["is_admin"] = isAdmin,
            ["is_member"] = isAdmin,
        };
        if (isAdmin)
        {
            view["teams"] = new JsonObject
            {
                ["owners"] = new JsonObject
                {
                    ["name"] = "owners",
                    ["description"] = "",
                    ["role"] = "admin",
                    ["avatar"] = Avatar.For("owners", "owners", "team"),
                    ["can_view"] = true,
                    ["repo_count"] = 0,
                    ["member_count"] = 1,
                    ["is_synced"] = false,
                },
            };
            view["ordered_teams"] = new JsonArray("owners");
            view["invoice_email"] = false;
            view["invoice_email_address"] = null;
            view["tag_expiration_s"] = 1209600;
            view["is_free_account"] = true;
        }

        return QuayResponses.Restful(context, 200, view);
    }

    private static Task ListUsers(QuayInstance quay, HttpContext context, string? user)
    {
        var superUsers = quay.Config.SuperUsers;
        if (user is null || !superUsers.Contains(user))
        {
            return Unauthorized(context, user);
        }

        var limitText = context.Request.Query["limit"].FirstOrDefault();
        int? limit = null;
        if (limitText is not null)
        {
            if (!int.TryParse(limitText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
            {
                // flask-restful's reqparse names the argument and Python's int() error.
                return QuayResponses.Restful(context, 400, new JsonObject
                {
                    ["message"] = new JsonObject { ["limit"] = $"invalid literal for int() with base 10: '{limitText}'" },
                });
            }

            if (parsed > 100)
            {
                return QuayResponses.ApiError(context, 400, "invalid_request", "Page limit cannot be above 100");
            }

            limit = parsed;
        }

        var users = quay.Database.Users().Take(limit is { } l and >= 0 ? l : int.MaxValue).Select(u => (JsonNode)new JsonObject
        {
            ["kind"] = "user",
            ["name"] = u.Name,
            ["username"] = u.Name,
            ["email"] = u.Email,
            ["verified"] = true,
            ["avatar"] = Avatar.For(u.Name, u.Email, "user"),
            ["super_user"] = superUsers.Contains(u.Name),
            ["global_readonly_super_user"] = false,
            ["enabled"] = true,
        });
        return QuayResponses.Restful(context, 200, new JsonObject { ["users"] = new JsonArray(users.ToArray()) });
    }

    private static Task Health(HttpContext context, string[] services)
    {
        var checks = new JsonObject();
        foreach (var service in services)
        {
            checks[service] = true;
        }

        return QuayResponses.Jsonify(context, 200, new JsonObject
        {
            ["data"] = new JsonObject { ["services"] = checks },
            ["status_code"] = 200,
        });
    }

    /// <summary>Quay's <c>Unauthorized</c>: 401 invalid_token without a user, 403 insufficient_scope with one.</summary>
    private static Task Unauthorized(HttpContext context, string? user) => user is null
        ? QuayResponses.ApiError(context, 401, "invalid_token", "Requires authentication")
        : QuayResponses.ApiError(context, 403, "insufficient_scope", "Unauthorized");

    /// <summary>The NewOrg schema: a string <c>name</c> is required; <c>email</c>, when present, is a string.</summary>
    private static string? SchemaProblem(JsonObject body)
    {
        if (body["name"] is null)
        {
            return $"'name' is a required property\n\nFailed validating 'required' in schema:\n    {{'type': 'object', 'required': ['name']}}\n\nOn instance:\n    {PythonJson.Dumps(body, sortKeys: false, compact: false)}";
        }

        foreach (var key in new[] { "name", "email" })
        {
            if (body[key] is { } value && value.GetValueKind() != JsonValueKind.String)
            {
                return $"{value.ToJsonString()} is not of type 'string'\n\nFailed validating 'type' in schema['properties']['{key}']";
            }
        }

        return null;
    }

    /// <summary>Flask's strict slashes: the route without its trailing slash answers 308 to the one with it.</summary>
    private static Task RedirectToSlash(HttpContext context, string path)
    {
        context.Response.StatusCode = 308;
        context.Response.Headers.Location = path + "/" + context.Request.QueryString;
        return Task.CompletedTask;
    }

    private static async Task<JsonObject?> ReadJsonObject(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Python truthiness of a JSON value.</summary>
    private static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.String => v.GetValue<string>().Length > 0,
            JsonValueKind.Number => v.GetValue<double>() != 0,
            _ => false,
        },
        _ => true,
    };

    private static JsonObject Message(string message) => new() { ["message"] = message };

    private static string Base64Url(int bytes) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
