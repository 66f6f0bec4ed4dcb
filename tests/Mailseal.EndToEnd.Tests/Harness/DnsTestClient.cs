using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// Enough of a DNS client (RFC 1035, one UDP question) to check what the harness's unbound
/// answers: A, AAAA, TXT, MX and PTR answers come back as text. Not Mailseal's resolver: a
/// test-side oracle that shares no code with it.
/// </summary>
public static class DnsTestClient
{
    /// <summary>Record type numbers this client understands.</summary>
    public const ushort A = 1, Ptr = 12, Mx = 15, Txt = 16, Aaaa = 28;

    /// <summary>
    /// Asks 127.0.0.1:<paramref name="port"/> for <paramref name="name"/>/<paramref name="type"/>.
    /// </summary>
    /// <returns>The response code (0 NOERROR, 3 NXDOMAIN) and the answers of that type as text:
    /// an address, "PREF HOST" for MX, the joined strings for TXT, the host for PTR.</returns>
    public static async Task<(int Rcode, IReadOnlyList<string> Answers)> QueryAsync(int port, string name, ushort type, CancellationToken ct = default)
    {
        var id = (ushort)Random.Shared.Next(1, 65535);
        var query = new List<byte>();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        header[2] = 0x01; // RD
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        query.AddRange(header);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            query.Add((byte)bytes.Length);
            query.AddRange(bytes);
        }

        query.Add(0);
        query.AddRange(new byte[] { (byte)(type >> 8), (byte)type, 0, 1 });

        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Connect(IPAddress.Loopback, port);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(TimeSpan.FromSeconds(5));
        for (var attempt = 0; ; attempt++)
        {
            await udp.SendAsync(query.ToArray(), timer.Token).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timer.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                var reply = await udp.ReceiveAsync(wait.Token).ConfigureAwait(false);
                if (reply.Buffer.Length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(reply.Buffer) == id)
                {
                    return Parse(reply.Buffer, type);
                }
            }
            catch (OperationCanceledException) when (!timer.IsCancellationRequested && attempt < 3)
            {
                // resend
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no DNS answer from 127.0.0.1:{port} for {name}");
            }
        }
    }

    private static (int, IReadOnlyList<string>) Parse(byte[] m, ushort type)
    {
        var rcode = m[3] & 0x0f;
        var qd = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4));
        var an = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6));
        var pos = 12;
        for (var i = 0; i < qd; i++)
        {
            ReadName(m, ref pos);
            pos += 4;
        }

        var answers = new List<string>();
        for (var i = 0; i < an; i++)
        {
            ReadName(m, ref pos);
            var rtype = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(pos));
            var rdlength = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(pos + 8));
            pos += 10;
            var rdata = pos;
            pos += rdlength;
            if (rtype != type)
            {
                continue;
            }

            switch (rtype)
            {
                case A:
                case Aaaa:
                    answers.Add(new IPAddress(m.AsSpan(rdata, rdlength)).ToString());
                    break;
                case Mx:
                    var p = rdata + 2;
                    answers.Add(BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(rdata)).ToString(CultureInfo.InvariantCulture) + " " + ReadName(m, ref p));
                    break;
                case Ptr:
                    var q = rdata;
                    answers.Add(ReadName(m, ref q));
                    break;
                case Txt:
                    var sb = new StringBuilder();
                    for (var t = rdata; t < rdata + rdlength;)
                    {
                        var len = m[t];
                        sb.Append(Encoding.ASCII.GetString(m, t + 1, len));
                        t += len + 1;
                    }

                    answers.Add(sb.ToString());
                    break;
                default:
                    break;
            }
        }

        return (rcode, answers);
    }

    private static string ReadName(byte[] m, ref int pos)
    {
        var labels = new List<string>();
        var p = pos;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            var len = m[p];
            if (len == 0)
            {
                if (!jumped)
                {
                    pos = p + 1;
                }

                return string.Join('.', labels) + ".";
            }

            if ((len & 0xc0) == 0xc0)
            {
                if (!jumped)
                {
                    pos = p + 2;
                }

                jumped = true;
                p = ((len & 0x3f) << 8) | m[p + 1];
                continue;
            }

            labels.Add(Encoding.ASCII.GetString(m, p + 1, len));
            p += len + 1;
        }

        throw new InvalidDataException("DNS name compression loop");
    }
}
