using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>
/// Checks a create request against the CRD and the operator's own rules, so that what would block the rollout is
/// refused up front with a field error instead of surfacing minutes later as RolloutBlocked.
/// </summary>
public static partial class RegistryRequestValidator
{
    public const int MaxBundleBytes = 1024 * 1024;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex SecretKey();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex LabelName();

    public static Dictionary<string, string[]> Validate(CreateRegistryRequest request, IReadOnlyCollection<string> knownClusters)
    {
        var errors = new ValidationErrors();
        CheckLabel(errors, "name", request.Name);
        CheckLabel(errors, "namespace", request.Namespace);
        if (request.Cluster is not null && !knownClusters.Contains(request.Cluster))
        {
            errors.Add("cluster", $"Unknown cluster '{request.Cluster}'. Configured clusters: {string.Join(", ", knownClusters)}.");
        }

        // JSON allows null items; nothing below expects them, so they are refused first, by position.
        var nullItems = NullItems("components", request.Components).Concat(NullItems("organizations", request.Organizations)).ToList();
        if (nullItems.Count > 0)
        {
            foreach (var at in nullItems)
            {
                errors.Add(at, "An item must be an object, not null.");
            }

            return errors.ToDictionary();
        }

        var components = request.Components ?? [];
        CheckComponents(errors, components);
        var config = CheckBundle(errors, request);
        CheckComponentConfig(errors, request, components, config);
        CheckInitialUser(errors, request, config);
        CheckOrganizations(errors, request, config);
        CheckLabels(errors, request.Labels);
        if (request.Ticket is { } ticket)
        {
            if (string.IsNullOrWhiteSpace(ticket.System) || ticket.System.Length > 40)
            {
                errors.Add("ticket.system", "The ticket system is required and at most 40 characters, e.g. 'jira'.");
            }

            if (string.IsNullOrWhiteSpace(ticket.Key) || ticket.Key.Length > 100)
            {
                errors.Add("ticket.key", "The ticket key is required and at most 100 characters, e.g. 'OPS-123'.");
            }
        }

        return errors.ToDictionary();
    }

    private static IEnumerable<string> NullItems<T>(string field, IReadOnlyList<T?>? items) where T : class =>
        (items ?? []).Select((item, i) => (item, i)).Where(x => x.item is null).Select(x => $"{field}[{x.i}]");

    private static void CheckLabel(ValidationErrors errors, string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Add(field, $"'{field}' is required.");
        }
        else if (value.Length > 63 || !Dns1123Label().IsMatch(value))
        {
            errors.Add(field, $"'{value}' is not a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit.");
        }
    }

    private static void CheckComponents(ValidationErrors errors, IReadOnlyList<ComponentSpec> components)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hpaManaged = components.FirstOrDefault(c => c.Kind == QuayComponents.Hpa)?.Managed != false;
        for (var i = 0; i < components.Count; i++)
        {
            var c = components[i];
            var at = $"components[{i}]";
            if (string.IsNullOrEmpty(c.Kind) || !QuayComponents.Kinds.Contains(c.Kind))
            {
                errors.Add($"{at}.kind", $"Unsupported component kind '{c.Kind}'. Supported: {string.Join(", ", QuayComponents.Kinds)}.");
                continue;
            }

            if (!seen.Add(c.Kind))
            {
                errors.Add($"{at}.kind", $"Component '{c.Kind}' is listed more than once.");
            }

            if (c.Managed is null)
            {
                errors.Add($"{at}.managed", "'managed' is required (true or false).");
                continue;
            }

            if (c.Kind == "quay" && c.Managed == false)
            {
                errors.Add($"{at}.managed", "The quay component is always managed by the operator.");
            }

            if (c.Managed == true && c.SecretRef is not null)
            {
                errors.Add($"{at}.secretRef", "secretRef cannot be set on a managed component.");
            }

            if (c.Overrides is not { Count: > 0 } overrides)
            {
                continue;
            }

            if (c.Managed == false)
            {
                errors.Add($"{at}.overrides", "cannot set overrides on unmanaged component.");
                continue;
            }

            CheckGrantsNothing(errors, $"{at}.overrides", overrides);
            foreach (var (key, value) in overrides)
            {
                if (!QuayComponents.OverrideKeys.Contains(key))
                {
                    errors.Add($"{at}.overrides.{key}", $"Unknown override '{key}'. Allowed: {string.Join(", ", QuayComponents.OverrideKeys)}.");
                }
                else if (key is "replicas" or "affinity" && !QuayComponents.ScalableKinds.Contains(c.Kind))
                {
                    errors.Add($"{at}.overrides.{key}", $"component {c.Kind} does not support {key} overrides (only clair, mirror and quay do).");
                }
                else if (key == "replicas")
                {
                    CheckReplicas(errors, $"{at}.overrides.replicas", value, hpaManaged);
                }
                else
                {
                    CheckOverride(errors, $"{at}.overrides.{key}", key, value);
                }
            }
        }
    }

    private static void CheckReplicas(ValidationErrors errors, string field, JsonElement value, bool hpaManaged)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var replicas) || replicas < 0)
        {
            errors.Add(field, "replicas must be a whole number of at least 0.");
        }
        else if (replicas != 0 && hpaManaged)
        {
            errors.Add(field, "cannot override replicas with managed HPA: set replicas to 0 or omit it, or mark horizontalpodautoscaler unmanaged.");
        }
    }

    private static ConfigYaml? CheckBundle(ValidationErrors errors, CreateRegistryRequest request)
    {
        if (request.ConfigBundle is not null && request.ConfigBundleSecret is not null)
        {
            errors.Add("configBundleSecret", "configBundle and configBundleSecret are mutually exclusive: give the bundle inline or name an existing Secret.");
        }

        if (request.ConfigBundleSecret is { } secretName && (secretName.Length > 253 || !Dns1123Subdomain().IsMatch(secretName)))
        {
            errors.Add("configBundleSecret", $"'{secretName}' is not a valid Secret name (DNS-1123 subdomain).");
        }

        if (request.ConfigBundle is not { } bundle)
        {
            return null;
        }

        var size = 0L;
        foreach (var (key, value) in bundle)
        {
            if (!SecretKey().IsMatch(key) || key.Length > 253)
            {
                errors.Add($"configBundle.{key}", $"'{key}' is not a valid Secret key: letters, digits, '-', '_' or '.'.");
            }

            size += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value ?? "");
        }

        if (size > MaxBundleBytes)
        {
            errors.Add("configBundle", $"The config bundle is {size} bytes; a Secret holds at most {MaxBundleBytes} bytes (1 MiB).");
        }

        if (!bundle.TryGetValue("config.yaml", out var configText))
        {
            errors.Add("configBundle", "The config bundle must contain 'config.yaml'.");
            return null;
        }

        if (!ConfigYaml.TryParse(configText ?? "", out var config, out var error))
        {
            errors.Add("configBundle.config.yaml", error!);
        }

        return config;
    }

    private static void CheckComponentConfig(
        ValidationErrors errors, CreateRegistryRequest request, IReadOnlyList<ComponentSpec> components, ConfigYaml? config)
    {
        // An external Secret is read by the operator, not by us: its content is checked through RolloutBlocked.
        if (request.ConfigBundleSecret is not null)
        {
            return;
        }

        var bundleKeys = request.ConfigBundle?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
        for (var i = 0; i < components.Count; i++)
        {
            var c = components[i];
            if (c.Managed is null || c.Kind is null || !QuayComponents.Kinds.Contains(c.Kind))
            {
                continue; // already refused
            }

            var at = $"components[{i}]";
            if (c.Managed == false && QuayComponents.UnmanagedRequiresConfig.TryGetValue(c.Kind, out var needed)
                && !needed.Any(k => config?.Has(k) == true))
            {
                errors.Add(at, $"required component `{c.Kind}` marked as unmanaged, but the config bundle is missing necessary fields: config.yaml needs {string.Join(" or ", needed)}.");
            }

            if (c.Managed == true && QuayComponents.ManagedForbidsConfig.TryGetValue(c.Kind, out var forbidden)
                && forbidden.Where(k => config?.Has(k) == true).ToList() is { Count: > 0 } present)
            {
                errors.Add(at, $"{c.Kind} component marked as managed, but the config bundle contains required fields: remove {string.Join(", ", present)} or mark {c.Kind} unmanaged.");
            }

            if (c.Kind == "tls")
            {
                var hasPair = QuayComponents.TlsBundleKeys.All(bundleKeys.Contains);
                if (c.Managed == false && !hasPair && c.SecretRef is null)
                {
                    errors.Add(at, "required component `tls` marked as unmanaged, but the config bundle has no ssl.cert and ssl.key and no secretRef is set.");
                }

                if (c.Managed == true && QuayComponents.TlsBundleKeys.Any(bundleKeys.Contains))
                {
                    errors.Add(at, "tls component marked as managed, but the config bundle contains ssl.cert/ssl.key: remove them or mark tls unmanaged.");
                }
            }
        }
    }

    private static void CheckInitialUser(ValidationErrors errors, CreateRegistryRequest request, ConfigYaml? config)
    {
        if (request.InitialUser is not { } user)
        {
            return;
        }

        foreach (var (field, messages) in QuayRules.CheckUser(user.Username, user.Password, user.Email))
        {
            errors.Add($"initialUser.{field}", messages[0]);
        }

        // Quay answers 404 to user/initialize unless the registry's own config turns the feature on.
        if (request.ConfigBundleSecret is null && config?.IsTrue("FEATURE_USER_INITIALIZE") != true)
        {
            errors.Add("initialUser", "Creating the first user needs FEATURE_USER_INITIALIZE: true in configBundle's config.yaml.");
        }
    }

    private static void CheckOrganizations(ValidationErrors errors, CreateRegistryRequest request, ConfigYaml? config)
    {
        // Quay 3.9–3.17 with FEATURE_MAILING (its default) refuses an organization without an email, and any email
        // already used by a user or organization: say so now rather than fail the bootstrap later.
        var mailing = request.ConfigBundleSecret is null && config?.Has("FEATURE_MAILING") == true ? config.IsTrue("FEATURE_MAILING") : true;
        var emails = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (request.InitialUser?.Email is { } userEmail)
        {
            emails.Add(userEmail);
        }

        var organizations = request.Organizations ?? [];
        if (organizations.Count > 0 && request.InitialUser is null)
        {
            errors.Add("organizations", "Organizations are created with the initial user's token: give initialUser too.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < organizations.Count; i++)
        {
            var org = organizations[i];
            if (QuayRules.CheckUsername(org.Name) is { } nameError)
            {
                errors.Add($"organizations[{i}].name", nameError);
            }
            else if (!names.Add(org.Name) || org.Name == request.InitialUser?.Username)
            {
                errors.Add($"organizations[{i}].name", "A user or organization with this name already exists");
            }

            if (org.Email is null)
            {
                if (mailing)
                {
                    errors.Add($"organizations[{i}].email", "Email address is required");
                }
            }
            else if (QuayRules.CheckEmail(org.Email) is { } emailError)
            {
                errors.Add($"organizations[{i}].email", emailError);
            }
            else if (!emails.Add(org.Email))
            {
                errors.Add($"organizations[{i}].email", $"Email has already been used: {org.Email}");
            }

            OrganizationResourceRules.CheckOrganization(errors.Add, $"organizations[{i}]", org);
        }
    }

    private static void CheckLabels(ValidationErrors errors, IReadOnlyDictionary<string, string>? labels)
    {
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            var name = key.Contains('/', StringComparison.Ordinal) ? key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..] : key;
            var prefix = key.Contains('/', StringComparison.Ordinal) ? key[..key.IndexOf('/', StringComparison.Ordinal)] : null;
            if (name.Length is 0 or > 63 || !LabelName().IsMatch(name)
                || (prefix is not null && (prefix.Length > 253 || !Dns1123Subdomain().IsMatch(prefix))))
            {
                errors.Add($"labels.{key}", $"'{key}' is not a valid Kubernetes label key.");
            }

            if (value is null || value.Length > 63 || (value.Length > 0 && !LabelName().IsMatch(value)))
            {
                errors.Add($"labels.{key}", $"'{value}' is not a valid Kubernetes label value: at most 63 letters, digits, '-', '_' or '.'.");
            }
        }
    }

    private sealed class ValidationErrors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            list.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
