using System.Buffers.Binary;
using System.Security.Cryptography;

namespace QuayGateway.Persistence;

/// <summary>
/// Version 7 UUIDs (RFC 9562: a millisecond timestamp, then random bits) for ids, like <see cref="Guid.CreateVersion7()"/>
/// but with the random bits taken from a per-thread buffer that the operating system's CSPRNG refills 4 KiB at a time.
/// <see cref="Guid.CreateVersion7()"/> reads <c>/dev/urandom</c> on every call, a system call per id,
/// and a create asks for two ids.
/// </summary>
public static class Uuid7
{
    private const int BufferSize = 4096;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

    public static Guid New() => New(DateTimeOffset.UtcNow);

    public static Guid New(DateTimeOffset timestamp)
    {
        var random = t_random ??= new byte[BufferSize];
        if (t_next == 0 || t_next > BufferSize - 16)
        {
            RandomNumberGenerator.Fill(random);
            t_next = 0;
        }

        // In RFC 9562's byte order: 48 bits of Unix milliseconds, the version, then the variant; the rest is random.
        Span<byte> bytes = stackalloc byte[16];
        random.AsSpan(t_next, 16).CopyTo(bytes);
        t_next += 16;
        Span<byte> milliseconds = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(milliseconds, timestamp.ToUnixTimeMilliseconds());
        milliseconds[2..].CopyTo(bytes);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
