using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace QuayGateway.Sandbox.QuayTls;

/// <summary>
/// Makes the API server's port an HTTP proxy for the Quay hosts the sandbox serves: a connection that opens with
/// <c>CONNECT host:443 HTTP/1.1</c> is answered here, before Kestrel's HTTP parser sees it, and tunnelled to the
/// sandbox's own Quay HTTPS listener on loopback. Every other connection goes on to the HTTP pipeline untouched.
/// <para>
/// A connection middleware because Kestrel does not support HTTP/1.1 CONNECT: its upgrade feature answers
/// 101 Switching Protocols and only for requests that ask to upgrade, and its extended CONNECT is HTTP/2 only.
/// The tunnel never leaves the machine: hosts the sandbox does not serve, and other ports, are refused.
/// </para>
/// </summary>
/// <para>
/// With <c>requireTls</c> the API server behind it speaks only HTTPS: a connection that opens neither with CONNECT
/// nor with a TLS handshake gets the answer Go's HTTP server (so a real API server) gives a plain request on a TLS port.
/// </para>
internal sealed class ConnectTunnel(Func<string, bool> servesQuayHost, bool requireTls = false)
{
    // A TLS connection opens with a handshake record: content type 22.
    private const byte TlsHandshake = 0x16;

    private const int MaxHeadBytes = 8 * 1024;
    private static readonly byte[] ConnectPrefix = "CONNECT "u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly TaskCompletionSource<int> _target = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The loopback port of the Quay HTTPS listener, known once the server has started.</summary>
    public void SetTargetPort(int port) => _target.TrySetResult(port);

    /// <summary>The port set by <see cref="SetTargetPort"/>, or 0 before.</summary>
    public int TargetPort => _target.Task.IsCompletedSuccessfully ? _target.Task.Result : 0;

    /// <summary>For <c>ListenOptions.Use</c>.</summary>
    public ConnectionDelegate Intercept(ConnectionDelegate next) => connection => OnConnectionAsync(connection, next);

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        var aborted = connection.ConnectionClosed;
        while (true)
        {
            var read = await input.ReadAsync(aborted);
            var buffer = read.Buffer;
            var opening = StartsWithConnect(buffer);
            if (opening is null && !read.IsCompleted)
            {
                // Too few bytes to tell yet: wait for more.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            if (opening is false && requireTls && buffer.Length > 0 && buffer.FirstSpan[0] != TlsHandshake)
            {
                await RefuseAsync(connection, 400, "Bad Request", "Client sent an HTTP request to an HTTPS server.");
                return;
            }

            if (opening is not true)
            {
                // Nothing consumed or examined, so Kestrel's parser reads the same bytes at once.
                input.AdvanceTo(buffer.Start);
                await next(connection);
                return;
            }

            if (FindHeadEnd(buffer) is not { } end)
            {
                if (buffer.Length > MaxHeadBytes || read.IsCompleted)
                {
                    await RefuseAsync(connection, 400, "Bad Request", "The CONNECT request's head is incomplete or too long.");
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var requestLine = Encoding.ASCII.GetString(buffer.Slice(0, buffer.PositionOf((byte)'\r')!.Value));
            input.AdvanceTo(end);
            await TunnelAsync(connection, requestLine);
            return;
        }
    }

    private async Task TunnelAsync(ConnectionContext connection, string requestLine)
    {
        // CONNECT authority HTTP/1.x, where authority is host:port.
        var parts = requestLine.Split(' ');
        var colon = parts.Length == 3 ? parts[1].LastIndexOf(':') : -1;
        if (colon <= 0 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(parts[1].AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            await RefuseAsync(connection, 400, "Bad Request", "Expected CONNECT host:port HTTP/1.1.");
            return;
        }

        var host = parts[1][..colon];
        if (port != 443 || !servesQuayHost(host))
        {
            await RefuseAsync(connection, 403, "Forbidden",
                $"This sandbox tunnels only to the Quay hosts it serves, on port 443; not to {parts[1]}.");
            return;
        }

        var aborted = connection.ConnectionClosed;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await upstream.ConnectAsync(IPAddress.Loopback, await _target.Task.WaitAsync(aborted), aborted);
        await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        await connection.Transport.Output.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), aborted);

        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var toQuay = Task.Run(async () =>
        {
            try
            {
                await input.CopyToAsync(upstreamStream, aborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The client went away, or the other direction ended the tunnel.
            }
            finally
            {
                // Passes the client's end of stream on, so the Quay listener closes its side and the other pump ends.
                try { upstream.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
            }
        }, CancellationToken.None);
        try
        {
            await upstreamStream.CopyToAsync(output, aborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The Quay listener or the client went away.
        }
        finally
        {
            input.CancelPendingRead();
        }

        await toQuay;
    }

    private static async Task RefuseAsync(ConnectionContext connection, int status, string reason, string text)
    {
        var body = Encoding.UTF8.GetBytes(text + "\n");
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), connection.ConnectionClosed);
    }

    /// <summary>True or false once the first bytes tell whether this is a CONNECT request; null while too few have arrived.</summary>
    private static bool? StartsWithConnect(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[ConnectPrefix.Length];
        var length = (int)Math.Min(buffer.Length, first.Length);
        buffer.Slice(0, length).CopyTo(first);
        if (!first[..length].SequenceEqual(ConnectPrefix.AsSpan(0, length))) return false;
        return length == ConnectPrefix.Length ? true : null;
    }

    /// <summary>The position just past the blank line that ends the request head, if it has arrived.</summary>
    private static SequencePosition? FindHeadEnd(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, HeadEnd, advancePastDelimiter: true) ? reader.Position : null;
    }
}
