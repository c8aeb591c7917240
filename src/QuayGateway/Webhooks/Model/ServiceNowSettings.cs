namespace QuayGateway.Webhooks.Model;

/// <summary>
/// Where and how the ServiceNow connector writes: the table, and the record fields as templates over the event
/// payload (<c>{registry.name}</c>, <c>{type}</c>, <c>{ticket.key}</c>, any path in the payload). The registry state maps to
/// the value of <see cref="StateField"/> through <see cref="States"/>.
/// </summary>
/// <param name="Table">The Table API table to write to; <c>incident</c> when left out.</param>
/// <param name="CreateFields">The record's fields on the first event, as templates over the event payload (<c>{registry.name}</c>, <c>{type}</c>, <c>{ticket.key}</c>); defaults when left out.</param>
/// <param name="UpdateFields">The fields written on later events, as templates; defaults (a work note) when left out.</param>
/// <param name="StateField">The record field the registry state maps to; <c>state</c> when left out.</param>
/// <param name="States">Per registry state (<c>Ready</c>, <c>Failed</c>, ...), the value to write into the state field.</param>
public sealed record ServiceNowSettings(
    string? Table = null,
    IReadOnlyDictionary<string, string>? CreateFields = null,
    IReadOnlyDictionary<string, string>? UpdateFields = null,
    string? StateField = null,
    IReadOnlyDictionary<string, string>? States = null)
{
    public const string DefaultTable = "incident";
    public const string DefaultStateField = "state";
    private const string WorkNote = "{type}: registry {registry.namespace}/{registry.name} is {registry.state} (health {registry.health}).";

    public static readonly IReadOnlyDictionary<string, string> DefaultCreateFields = new Dictionary<string, string>
    {
        ["short_description"] = "Quay registry {registry.namespace}/{registry.name} on {registry.cluster}",
        ["description"] = "Registry {registry.id} requested through QuayGateway.",
        ["correlation_id"] = "{registry.id}",
        ["correlation_display"] = "QuayGateway",
        ["work_notes"] = WorkNote,
    };

    public static readonly IReadOnlyDictionary<string, string> DefaultUpdateFields = new Dictionary<string, string>
    {
        ["work_notes"] = WorkNote,
    };

    /// <summary>Incident states: New while accepted, In Progress afterwards. Resolving needs instance-specific close fields, so it is opt-in.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultStates = new Dictionary<string, string>
    {
        ["Accepted"] = "1", ["Applying"] = "2", ["Progressing"] = "2", ["Available"] = "2", ["Bootstrapping"] = "2", ["Ready"] = "2",
        ["Blocked"] = "2", ["Degraded"] = "2", ["Failed"] = "2", ["Deleting"] = "2", ["Deleted"] = "2",
    };

    /// <summary>The table written to: <c>table</c>, or the default. Read-only.</summary>
    public string EffectiveTable => Table ?? DefaultTable;

    /// <summary>The fields written on the first event: <c>createFields</c>, or the defaults. Read-only.</summary>
    public IReadOnlyDictionary<string, string> EffectiveCreateFields => CreateFields ?? DefaultCreateFields;

    /// <summary>The fields written on later events: <c>updateFields</c>, or the defaults. Read-only.</summary>
    public IReadOnlyDictionary<string, string> EffectiveUpdateFields => UpdateFields ?? DefaultUpdateFields;

    /// <summary>The field the state maps to: <c>stateField</c>, or the default. Read-only.</summary>
    public string EffectiveStateField => StateField ?? DefaultStateField;

    /// <summary>The state mapping used: <c>states</c>, or the defaults. Read-only.</summary>
    public IReadOnlyDictionary<string, string> EffectiveStates => States ?? DefaultStates;
}
