using System.Net;
using System.Net.Sockets;

namespace QuayGateway.Hosting;

/// <summary>
/// The SSRF guard, for webhooks and Quay calls alike. A destination may not be a loopback, link-local (cloud metadata
/// included), private, shared or multicast address unless the allow list (<c>Gateway:Webhooks:AllowedDestinations</c>,
/// a cluster's <c>AllowedQuayDestinations</c>) names the host or a CIDR range holding the address. Checked when a
/// webhook is saved and again on every connection (after DNS resolution, so a name that later resolves somewhere
/// private is still refused).
/// </summary>
public sealed class DestinationGuard
{
    public const string WebhooksSetting = "Gateway:Webhooks:AllowedDestinations";

    private static readonly IPNetwork[] Restricted =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fec0::/10"), IPNetwork.Parse("ff00::/8"), IPNetwork.Parse("64:ff9b::/96"),
    ];

    private readonly HashSet<string> _allowedHosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _allowedNetworks = [];

    /// <summary>Where the allow list is configured, named in refusals.</summary>
    private readonly string _setting;

    /// <param name="allowed">Host names, CIDR ranges or addresses; an entry may itself be a comma-separated list.</param>
    /// <param name="setting">The setting that holds the list, named in refusals so that they say how to allow.</param>
    public DestinationGuard(IEnumerable<string> allowed, string setting = WebhooksSetting)
    {
        _setting = setting;
        foreach (var entry in allowed.SelectMany(e => e.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                _allowedNetworks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                _allowedNetworks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                _allowedHosts.Add(entry.TrimEnd('.'));
            }
        }
    }

    /// <summary>True for addresses no destination may have by default.</summary>
    public static bool IsRestricted(IPAddress address)
    {
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return Restricted.Any(n => n.BaseAddress.AddressFamily == normalized.AddressFamily && n.Contains(normalized));
    }

    public bool IsAllowed(IPAddress address)
    {
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !IsRestricted(normalized)
               || _allowedNetworks.Any(n => n.BaseAddress.AddressFamily == normalized.AddressFamily && n.Contains(normalized));
    }

    public bool IsHostAllowed(string host) => _allowedHosts.Contains(host.TrimEnd('.'));

    /// <summary>Why a URL may not be used as a destination, or null when it may.</summary>
    public async Task<string?> CheckAsync(Uri url, CancellationToken ct)
    {
        if (IsHostAllowed(url.IdnHost))
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(url.IdnHost, ct);
        }
        catch (SocketException)
        {
            return $"The host '{url.Host}' cannot be resolved.";
        }

        return addresses.FirstOrDefault(a => !IsAllowed(a)) is { } refused
            ? $"'{url.Host}' resolves to {refused}, a loopback, link-local, private or otherwise internal address. " +
              $"Add the host or a CIDR range to {_setting} to allow it."
            : null;
    }

    /// <summary>
    /// The connection step of the webhook HTTP handler: resolves the host itself and connects only to an allowed
    /// address, so the check and the connection see the same address (no DNS-rebinding gap).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await ResolveAsync(host, ct);
        var allowed = IsHostAllowed(host) ? addresses : addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new DestinationRefusedException(
                $"Destination refused: '{host}' resolves only to internal addresses ({string.Join(", ", addresses.Select(a => a.ToString()))}); " +
                $"{_setting} may allow it.");
        }

        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>The guard refused to connect; recorded as the attempt's error.</summary>
public sealed class DestinationRefusedException(string message) : Exception(message);
