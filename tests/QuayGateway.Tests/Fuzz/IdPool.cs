namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// Identifiers of real objects the campaign created or read, by the concrete path of their collection
/// (<c>/v1/registries</c>, <c>/v1/webhooks/{a real id}/deliveries</c>), plus ETags and cursors it was given.
/// </summary>
public sealed class IdPool
{
    private const int Keep = 64;
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public void Add(string key, string value)
    {
        lock (_values)
        {
            if (!_values.TryGetValue(key, out var list))
            {
                _values[key] = list = [];
            }

            if (!list.Contains(value))
            {
                list.Add(value);
                if (list.Count > Keep)
                {
                    list.RemoveAt(0);
                }
            }
        }
    }

    public string? Pick(string key, Random random)
    {
        lock (_values)
        {
            return _values.TryGetValue(key, out var list) && list.Count > 0 ? list[random.Next(list.Count)] : null;
        }
    }

    public int Count
    {
        get
        {
            lock (_values)
            {
                return _values.Values.Sum(v => v.Count);
            }
        }
    }
}
