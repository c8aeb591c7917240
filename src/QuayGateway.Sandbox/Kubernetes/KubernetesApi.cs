using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// The resource half of the apiserver: every <c>/api/v1/...</c> and <c>/apis/{group}/{version}/...</c> request,
/// with the verbs, query parameters, content types, status codes and Status bodies of a real server. Every request is
/// authenticated and authorized first (<see cref="SandboxAuthorization"/>), as the apiserver's filters do.
/// </summary>
internal sealed class KubernetesApi(ObjectStore store, IApiFaultHook faults, SandboxRequestCounter requests, TablePrinter printer, WatchStream watches,
    SandboxAuthorization authorization)
{
    private const string ApplyPatch = "application/apply-patch+yaml";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        UserInfo user;
        try
        {
            if (request.Path.Value == SandboxAuthorization.AccessReviewPath)
            {
                await authorization.SelfSubjectAccessReviewAsync(context);
                return;
            }
            user = authorization.Authenticate(context);
        }
        catch (KubernetesStatusException e)
        {
            await WriteAsync(context, e);
            return;
        }
        var path = ApiPath.Parse(request.Path.Value ?? "");
        if (path is null)
        {
            await WriteAsync(context, KubernetesStatusException.NotFound("the server could not find the requested resource"));
            return;
        }
        var query = request.Query;
        var verb = (request.Method, path.Name) switch
        {
            ("GET", null) => IsTrue(query["watch"]) ? "watch" : "list",
            ("GET", _) => "get",
            ("POST", null) => "create",
            ("PUT", not null) => "update",
            ("PATCH", not null) => "patch",
            ("DELETE", null) => "deletecollection",
            ("DELETE", _) => "delete",
            _ => null,
        };
        requests.Add(verb ?? request.Method.ToLowerInvariant(), path.Subresource is null ? path.Type.Plural : $"{path.Type.Plural}/{path.Subresource}");
        if (faults.ApiLatency is { Ticks: > 0 } latency) await Task.Delay(latency, context.RequestAborted);

        try
        {
            if (verb is null) throw KubernetesStatusException.MethodNotAllowed("the server does not allow this method on the requested resource");
            authorization.Require(user, RequestAttributes.For(verb, path));
            if (faults.DrawApiError(verb) is { } fault) throw fault.ToStatus();
            switch (verb)
            {
                case "get": await GetAsync(context, path); break;
                case "list": await ListAsync(context, path); break;
                case "watch": await watches.ServeAsync(context, WatchRequestFor(context, path)); break;
                case "create": await CreateAsync(context, path); break;
                case "update": await UpdateAsync(context, path); break;
                case "patch": await PatchAsync(context, path); break;
                case "delete": await DeleteAsync(context, path); break;
                default: await DeleteCollectionAsync(context, path); break;
            }
        }
        catch (KubernetesStatusException e)
        {
            await WriteAsync(context, e);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A bug in the sandbox still answers the way an apiserver answers its own failures.
            await WriteAsync(context, new KubernetesStatusException(500, "InternalError", $"Internal error occurred: {e.GetType().Name}: {e.Message}", new StatusDetails()));
        }
    }

    private async Task GetAsync(HttpContext context, ApiPath path)
    {
        var obj = store.Get(path.Type.Plural, path.Namespace, path.Name!) ?? throw KubernetesStatusException.NotFound(path.Type, path.Name!);
        await WriteAsync(context, 200, TablePrinter.Wants(context.Request)
            ? printer.Table(path.Type, [obj], context.Request.Query["includeObject"], obj.ResourceVersion() ?? "")
            : obj);
    }

    private async Task ListAsync(HttpContext context, ApiPath path)
    {
        var query = context.Request.Query;
        var result = store.ListCore(path.Type, path.Namespace, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"], path.Type));
        if (query["resourceVersionMatch"] == "Exact" && ParseRevision(query["resourceVersion"]) is { } exact) store.ThrowIfExpired(exact);

        var items = result.Items;
        var revision = result.Revision;
        string? next = null;
        if (!string.IsNullOrEmpty(query["continue"]))
        {
            var token = ContinueToken.Decode(query["continue"]!);
            try
            {
                store.ThrowIfExpired(token.Revision);
            }
            catch (KubernetesStatusException)
            {
                throw KubernetesStatusException.Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
            }
            items = items.Where(o => string.CompareOrdinal(ContinueToken.Key(o), token.After) > 0).ToList();
        }
        if (int.TryParse(query["limit"], CultureInfo.InvariantCulture, out var limit) && limit > 0 && items.Count > limit)
        {
            items = items.Take(limit).ToList();
            next = new ContinueToken(revision, ContinueToken.Key(items[^1])).Encode();
        }

        var rv = revision.ToString(CultureInfo.InvariantCulture);
        if (TablePrinter.Wants(context.Request))
        {
            await WriteAsync(context, 200, printer.Table(path.Type, items, query["includeObject"], rv, next));
            return;
        }
        var metadata = new JsonObject { ["resourceVersion"] = rv };
        if (next is not null) metadata["continue"] = next;
        await WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = path.Type.ListKind,
            ["apiVersion"] = path.Type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
        });
    }

    private WatchRequest WatchRequestFor(HttpContext context, ApiPath path)
    {
        var query = context.Request.Query;
        var fields = FieldSelector.Parse(query["fieldSelector"], path.Type);
        TimeSpan? timeout = int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
        return new WatchRequest(path.Type, path.Namespace, LabelSelector.Parse(query["labelSelector"]), fields,
            ParseRevision(query["resourceVersion"]), IsTrue(query["allowWatchBookmarks"]), timeout,
            TablePrinter.Wants(context.Request), query["includeObject"]);
    }

    private async Task CreateAsync(HttpContext context, ApiPath path)
    {
        var obj = RequestBody.RequireObject(await RequestBody.ReadAsync(context.Request, path.Type, context.RequestAborted));
        CheckKind(path.Type, obj);
        if (path.Type.HasStatus) obj.Remove("status"); // create cannot set status
        CheckUnknownFields(context, path.Type, obj);
        var created = store.Write(() => store.CreateCore(path.Type, path.Namespace, obj, FieldManager(context), IsDryRun(context)));
        await WriteAsync(context, 201, created);
    }

    private async Task UpdateAsync(HttpContext context, ApiPath path)
    {
        var obj = RequestBody.RequireObject(await RequestBody.ReadAsync(context.Request, path.Type, context.RequestAborted));
        CheckKind(path.Type, obj);
        if (obj.Name() is { } bodyName && bodyName != path.Name)
            throw KubernetesStatusException.BadRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + path.Name + ")");
        obj.Metadata()["name"] = path.Name;
        CheckUnknownFields(context, path.Type, obj);
        var updated = store.Write(() => path.Subresource == "status"
            ? store.UpdateStatusCore(path.Type, path.Namespace, obj, FieldManager(context), IsDryRun(context))
            : store.UpdateCore(path.Type, path.Namespace, obj, FieldManager(context), IsDryRun(context)));
        await WriteAsync(context, 200, updated);
    }

    private async Task PatchAsync(HttpContext context, ApiPath path)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var body = await RequestBody.ReadAsync(context.Request, path.Type, context.RequestAborted);
        var status = path.Subresource == "status";
        var dryRun = IsDryRun(context);
        StoredObject result;
        switch (contentType)
        {
            case ApplyPatch:
                var applied = RequestBody.RequireObject(body);
                var manager = context.Request.Query["fieldManager"].ToString();
                if (string.IsNullOrEmpty(manager)) throw KubernetesStatusException.BadRequest("fieldManager is required for apply requests");
                if (applied.Name() is { } appliedName && appliedName != path.Name)
                    throw KubernetesStatusException.BadRequest("the name of the object (" + appliedName + ") does not match the name on the URL (" + path.Name + ")");
                applied.Metadata()["name"] = path.Name;
                // An apply that creates the object is a create too: the apiserver authorizes both.
                if (path.Subresource is null && store.Get(path.Type.Plural, path.Namespace, path.Name!) is null)
                    authorization.Require(authorization.Authenticate(context), RequestAttributes.For("create", path));
                CheckUnknownFields(context, path.Type, applied);
                result = store.Write(() => store.ApplyCore(path.Type, path.Namespace, applied, manager, IsTrue(context.Request.Query["force"]), status, dryRun));
                break;
            case "application/merge-patch+json":
            case "application/strategic-merge-patch+json": // the sandbox has no patch strategies; a merge patch is close enough
                if (body is JsonObject patchObject) CheckUnknownFields(context, path.Type, patchObject);
                result = store.Write(() => store.MergePatchCore(path.Type, path.Namespace, path.Name!, body, status, FieldManager(context), dryRun));
                break;
            case "application/json-patch+json":
                result = store.Write(() => store.JsonPatchCore(path.Type, path.Namespace, path.Name!, body, status, FieldManager(context), dryRun));
                break;
            default:
                throw new KubernetesStatusException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, {ApplyPatch}",
                    new StatusDetails());
        }
        await WriteAsync(context, 200, result);
    }

    private async Task DeleteAsync(HttpContext context, ApiPath path)
    {
        var options = await DeleteOptionsAsync(context);
        var result = store.Write(() => store.DeleteCore(path.Type, path.Namespace, path.Name!, IsDryRun(context) || options.DryRun, options.Store));
        if (result.Pending || path.Type.ReturnsDeletedObject)
        {
            await WriteAsync(context, result.Pending ? 202 : 200, result.Object);
            return;
        }
        await WriteAsync(context, 200, Success(path.Type, result.Object.Name, result.Object.Uid));
    }

    private async Task DeleteCollectionAsync(HttpContext context, ApiPath path)
    {
        var query = context.Request.Query;
        var victims = store.ListCore(path.Type, path.Namespace, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"], path.Type));
        var deleted = new JsonArray();
        foreach (var victim in victims.Items)
        {
            try
            {
                deleted.Add(store.Write(() => store.DeleteCore(path.Type, victim.Namespace(), victim.Name()!, IsDryRun(context))).Object.Parse());
            }
            catch (KubernetesStatusException e) when (e.Code == 404)
            {
                // Gone meanwhile (garbage collected): that is what the caller wanted.
            }
        }
        await WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = path.Type.ListKind,
            ["apiVersion"] = path.Type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    private sealed record DeleteRequest(ObjectStore.DeleteOptions Store, bool DryRun);

    /// <summary>The DeleteOptions body (preconditions, propagationPolicy, dryRun) and the <c>propagationPolicy</c> parameter.</summary>
    private static async Task<DeleteRequest> DeleteOptionsAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        JsonObject? body;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject; // clients may send no body or "null"
        }
        catch (JsonException e)
        {
            throw KubernetesStatusException.BadRequest($"the DeleteOptions body could not be decoded: {e.Message}");
        }
        var policy = body?["propagationPolicy"].Str() ?? context.Request.Query["propagationPolicy"].ToString();
        if (policy is not ("" or "Orphan" or "Background" or "Foreground"))
            throw KubernetesStatusException.BadRequest($"Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        var dryRun = body?["dryRun"] is JsonArray d && d.Any(v => v.Str() == "All");
        return new DeleteRequest(new ObjectStore.DeleteOptions(body?["preconditions"]?["uid"].Str(), body?["preconditions"]?["resourceVersion"].Str(), policy == "Orphan"), dryRun);
    }

    /// <summary>Unknown QuayRegistry fields: 400 with <c>fieldValidation=Strict</c>, a Warning header otherwise (pruned either way).</summary>
    private void CheckUnknownFields(HttpContext context, ResourceType type, JsonObject obj)
    {
        if (type != ResourceTypes.QuayRegistries) return;
        var unknown = store.QuayRegistrySchema.UnknownFields(obj);
        if (unknown.Count == 0) return;
        var mode = context.Request.Query["fieldValidation"].ToString();
        if (mode == "Strict")
        {
            var list = string.Join(", ", unknown.Select(f => $"unknown field \"{f}\""));
            throw KubernetesStatusException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {list}");
        }
        if (mode != "Ignore")
        {
            foreach (var field in unknown) context.Response.Headers.Append("Warning", $"299 - \"unknown field \\\"{field}\\\"\"");
        }
    }

    private static void CheckKind(ResourceType type, JsonObject obj)
    {
        if (obj["kind"].Str() is { } kind && kind != type.Kind)
            throw KubernetesStatusException.BadRequest($"the kind of the object ({kind}) does not match the resource ({type.Kind})");
        if (obj["apiVersion"].Str() is { } apiVersion && apiVersion != type.ApiVersion)
            throw KubernetesStatusException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
    }

    /// <summary>The manager a real server records: the <c>fieldManager</c> parameter, else the User-Agent's program name.</summary>
    private static string FieldManager(HttpContext context)
    {
        var explicitManager = context.Request.Query["fieldManager"].ToString();
        if (explicitManager.Length > 0) return explicitManager;
        var agent = context.Request.Headers.UserAgent.ToString();
        return agent.Length > 0 ? agent.Split('/')[0] : "unknown";
    }

    private static bool IsDryRun(HttpContext context)
    {
        var dryRun = context.Request.Query["dryRun"];
        if (dryRun.Count == 0) return false;
        if (dryRun.Any(v => v != "All")) throw KubernetesStatusException.BadRequest($"Invalid dry run value: {dryRun}; supported values: \"All\"");
        return true;
    }

    private static bool IsTrue(string? value) => value is "true" or "1" or "True";

    private static long? ParseRevision(string? value) =>
        long.TryParse(value, CultureInfo.InvariantCulture, out var revision) && revision > 0 ? revision : null;

    private static JsonObject Success(ResourceType type, string name, string? uid) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject
        {
            ["name"] = name,
            ["group"] = type.Group,
            ["kind"] = type.Plural,
            ["uid"] = uid,
        },
    };

    internal static Task WriteAsync(HttpContext context, KubernetesStatusException error)
    {
        if (error.Details?.RetryAfterSeconds is { } retry) context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, error.Code, error.ToStatus());
    }

    /// <summary>A stored object goes out as the bytes the store keeps: no copy, no re-serialisation.</summary>
    private static async Task WriteAsync(HttpContext context, int statusCode, StoredObject body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body.Json, context.RequestAborted);
    }

    internal static async Task WriteAsync(HttpContext context, int statusCode, JsonNode body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(KubeJson.Options), context.RequestAborted);
    }

    /// <summary>The opaque <c>continue</c> token: the list's revision and the last key served.</summary>
    private sealed record ContinueToken(long Revision, string After)
    {
        public static string Key(JsonObject o) => $"{o.Namespace()}/{o.Name()}";

        public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new[] { Revision.ToString(CultureInfo.InvariantCulture), After })));

        public static ContinueToken Decode(string token)
        {
            try
            {
                var parts = JsonSerializer.Deserialize<string[]>(Encoding.UTF8.GetString(Convert.FromBase64String(token)))!;
                return new ContinueToken(long.Parse(parts[0], CultureInfo.InvariantCulture), parts[1]);
            }
            catch (Exception e) when (e is FormatException or JsonException or IndexOutOfRangeException or NullReferenceException)
            {
                throw KubernetesStatusException.BadRequest("continue key is not valid: " + e.Message);
            }
        }
    }
}
