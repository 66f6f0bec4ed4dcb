using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Dns.Tests;

/// <summary>
/// An in-process DNS server on 127.0.0.1 (UDP and TCP on the same random port) whose every
/// answer is decided by a test delegate: the delegate returns the datagrams (or TCP messages) to
/// send back, in order, or nothing to stay silent.
/// </summary>
internal sealed class FakeDnsServer : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly Func<FakeQuery, IEnumerable<byte[]>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    public FakeDnsServer(Func<FakeQuery, IEnumerable<byte[]>> handler)
    {
        _handler = handler;
        for (int attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
            }
            catch (SocketException) when (attempt < 20)
            {
                socket.Dispose();
                continue;
            }

            _udp = socket;
            _tcp = listener;
            EndPoint = new IPEndPoint(IPAddress.Loopback, port);
            break;
        }

        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    public ConcurrentQueue<FakeQuery> Queries { get; } = new();

    public int UdpQueries => Queries.Count(q => !q.Tcp);

    public int TcpQueries => Queries.Count(q => q.Tcp);

    /// <summary>Builds an answer to <paramref name="query"/> with the given flags (QR is added) and answer records.</summary>
    public static byte[] Answer(FakeQuery query, ushort flags, params (string Name, DnsRecordType Type, uint Ttl, byte[] Data)[] answers) =>
        DnsMessage.BuildResponse(query.Id, (ushort)(0x8180 | flags), query.Name, (ushort)query.Type, answers.Select(a => (a.Name, (ushort)a.Type, a.Ttl, a.Data)));

    /// <summary>NXDOMAIN (or NODATA with <paramref name="rcode"/> 0) with an SOA whose MINIMUM is <paramref name="minimum"/>.</summary>
    public static byte[] Negative(FakeQuery query, int rcode, uint minimum)
    {
        byte[] body = Answer(query, (ushort)rcode);
        var list = new List<byte>(body);
        BinaryPrimitives.WriteUInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list)[8..], 1); // NSCOUNT
        byte[] soa = [.. DnsMessage.EncodeName("ns.test"), .. DnsMessage.EncodeName("admin.test"), .. new byte[16], .. BigEndian(minimum)];
        list.AddRange(DnsMessage.EncodeName("test"));
        list.AddRange([0, 6, 0, 1]);
        list.AddRange(BigEndian(3600));
        list.Add((byte)(soa.Length >> 8));
        list.Add((byte)soa.Length);
        list.AddRange(soa);
        return [.. list];
    }

    public static byte[] A(string address) => IPAddress.Parse(address).GetAddressBytes();

    public static byte[] Name(string name) => DnsMessage.EncodeName(name);

    public static byte[] Txt(params string[] strings)
    {
        var data = new List<byte>();
        foreach (string s in strings)
        {
            data.Add((byte)s.Length);
            data.AddRange(Encoding.ASCII.GetBytes(s));
        }

        return [.. data];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            await Task.WhenAll(_udpLoop, _tcpLoop);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _stop.Dispose();
    }

    private static byte[] BigEndian(uint value)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    private static FakeQuery ParseQuery(byte[] raw, bool overTcp, int sourcePort)
    {
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(raw);
        int offset = 12;
        string name = DnsMessage.ReadName(raw, ref offset);
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(offset));
        offset += 4;
        ushort edns = 0;
        if (BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(10)) == 1 && raw.Length >= offset + 11 && raw[offset] == 0 &&
            BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(offset + 1)) == 41)
        {
            edns = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(offset + 3));
        }

        return new FakeQuery(id, name, type, overTcp, edns, sourcePort, raw);
    }

    private async Task UdpLoopAsync()
    {
        byte[] buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            FakeQuery query = ParseQuery(buffer[..received.ReceivedBytes], overTcp: false, ((IPEndPoint)received.RemoteEndPoint).Port);
            Queries.Enqueue(query);
            foreach (byte[] reply in _handler(query))
            {
                await _udp.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint);
            }
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // Disposed, possibly before this loop first reached Accept: TcpListener then
                // throws InvalidOperationException ("Not listening"), not a socket error.
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    NetworkStream stream = client.GetStream();
                    byte[] length = new byte[2];
                    await stream.ReadExactlyAsync(length, _stop.Token);
                    byte[] raw = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                    await stream.ReadExactlyAsync(raw, _stop.Token);
                    FakeQuery query = ParseQuery(raw, overTcp: true, ((IPEndPoint)client.Client.RemoteEndPoint!).Port);
                    Queries.Enqueue(query);
                    foreach (byte[] reply in _handler(query))
                    {
                        byte[] framed = new byte[reply.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                        reply.CopyTo(framed, 2);
                        await stream.WriteAsync(framed, _stop.Token);
                    }
                }
            });
        }
    }
}
