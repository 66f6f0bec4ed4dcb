using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Mailseal.Dns;

/// <summary>
/// DNS wire format (RFC 1035 section 4, RFC 6891 for the OPT record): builds queries and decodes
/// answers. Decoding never trusts the input: every length is checked against the buffer,
/// compression pointers must point strictly backwards (so they cannot loop) and a name may jump
/// at most <see cref="MaxPointerJumps"/> times.
/// </summary>
internal sealed class DnsMessage
{
    /// <summary>Compression pointers followed while reading one name.</summary>
    public const int MaxPointerJumps = 64;

    /// <summary>Records read from one section; a bigger count is treated as malformed.</summary>
    public const int MaxRecordsPerSection = 1024;

    private const ushort OptType = 41;
    private const ushort ClassIn = 1;

    private DnsMessage(ushort id, ushort flags, string questionName, ushort questionType, ushort questionClass, List<DnsRecord> answers, List<DnsRecord> authority)
    {
        Id = id;
        Flags = flags;
        QuestionName = questionName;
        QuestionType = questionType;
        QuestionClass = questionClass;
        Answers = answers;
        Authority = authority;
    }

    public ushort Id { get; }

    public ushort Flags { get; }

    public bool IsResponse => (Flags & 0x8000) != 0;

    public bool IsTruncated => (Flags & 0x0200) != 0;

    public int ResponseCode => Flags & 0x000f;

    public string QuestionName { get; }

    public ushort QuestionType { get; }

    public ushort QuestionClass { get; }

    public IReadOnlyList<DnsRecord> Answers { get; }

    public IReadOnlyList<DnsRecord> Authority { get; }

    /// <summary>Builds a recursive query for one name and type, with an OPT record when <paramref name="ednsBufferSize"/> is not 0.</summary>
    /// <exception cref="DnsFormatException">The name cannot be encoded.</exception>
    public static byte[] BuildQuery(ushort id, string name, DnsRecordType type, ushort ednsBufferSize)
    {
        var buffer = new List<byte>(64);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1); // QDCOUNT
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], (ushort)(ednsBufferSize != 0 ? 1 : 0)); // ARCOUNT
        buffer.AddRange(header.ToArray());
        WriteName(buffer, name);
        AddUInt16(buffer, (ushort)type);
        AddUInt16(buffer, ClassIn);
        if (ednsBufferSize != 0)
        {
            buffer.Add(0); // root owner
            AddUInt16(buffer, OptType);
            AddUInt16(buffer, Math.Max(ednsBufferSize, (ushort)512)); // CLASS = UDP payload size
            buffer.AddRange(new byte[4]); // extended RCODE, version 0, flags
            AddUInt16(buffer, 0); // RDLEN
        }

        return [.. buffer];
    }

    /// <summary>Builds a response (used by the tests' fake server).</summary>
    internal static byte[] BuildResponse(ushort id, ushort flags, string questionName, ushort questionType, IEnumerable<(string Name, ushort Type, uint Ttl, byte[] Data)> answers)
    {
        var buffer = new List<byte>(128);
        var list = answers.ToList();
        AddUInt16(buffer, id);
        AddUInt16(buffer, flags);
        AddUInt16(buffer, 1);
        AddUInt16(buffer, (ushort)list.Count);
        AddUInt16(buffer, 0);
        AddUInt16(buffer, 0);
        WriteName(buffer, questionName);
        AddUInt16(buffer, questionType);
        AddUInt16(buffer, ClassIn);
        foreach ((string n, ushort t, uint ttl, byte[] data) in list)
        {
            WriteName(buffer, n);
            AddUInt16(buffer, t);
            AddUInt16(buffer, ClassIn);
            AddUInt16(buffer, (ushort)(ttl >> 16));
            AddUInt16(buffer, (ushort)ttl);
            AddUInt16(buffer, (ushort)data.Length);
            buffer.AddRange(data);
        }

        return [.. buffer];
    }

    /// <summary>Encodes a name in uncompressed wire form (for building record data in tests and queries).</summary>
    internal static byte[] EncodeName(string name)
    {
        var buffer = new List<byte>();
        WriteName(buffer, name);
        return [.. buffer];
    }

    /// <summary>Decodes a whole message.</summary>
    /// <exception cref="DnsFormatException">The message is malformed.</exception>
    public static DnsMessage Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            throw new DnsFormatException("message shorter than its header");
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int qdCount = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int anCount = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int nsCount = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        if (qdCount != 1)
        {
            throw new DnsFormatException($"{qdCount} questions, expected 1");
        }

        if (anCount > MaxRecordsPerSection || nsCount > MaxRecordsPerSection)
        {
            throw new DnsFormatException("too many records");
        }

        int offset = 12;
        string qname = ReadName(message, ref offset);
        ushort qtype = ReadUInt16(message, ref offset);
        ushort qclass = ReadUInt16(message, ref offset);

        bool truncated = (flags & 0x0200) != 0;
        var answers = new List<DnsRecord>(anCount);
        var authority = new List<DnsRecord>(nsCount);
        try
        {
            for (int i = 0; i < anCount; i++)
            {
                answers.Add(ReadRecord(message, ref offset));
            }

            for (int i = 0; i < nsCount; i++)
            {
                authority.Add(ReadRecord(message, ref offset));
            }
        }
        catch (DnsFormatException) when (truncated)
        {
            // A truncated UDP answer may end mid-record; the caller retries over TCP anyway.
        }

        return new DnsMessage(id, flags, qname, qtype, qclass, answers, authority);
    }

    private static DnsRecord ReadRecord(ReadOnlySpan<byte> message, ref int offset)
    {
        string name = ReadName(message, ref offset);
        ushort type = ReadUInt16(message, ref offset);
        _ = ReadUInt16(message, ref offset); // class
        uint ttl = ReadUInt32(message, ref offset);
        int length = ReadUInt16(message, ref offset);
        if (offset + length > message.Length)
        {
            throw new DnsFormatException("record data runs past the end of the message");
        }

        int start = offset;
        int end = offset + length;
        ReadOnlySpan<byte> data = message.Slice(start, length);

        // RFC 2181 section 8: a TTL with the top bit set is treated as 0.
        if (ttl > int.MaxValue)
        {
            ttl = 0;
        }

        DnsRecord record;
        switch ((DnsRecordType)type)
        {
            case DnsRecordType.A:
                if (length != 4)
                {
                    throw new DnsFormatException("A record data is not 4 bytes");
                }

                record = DnsRecord.ForAddress(name, new IPAddress(data), ttl);
                break;
            case DnsRecordType.Aaaa:
                if (length != 16)
                {
                    throw new DnsFormatException("AAAA record data is not 16 bytes");
                }

                record = DnsRecord.ForAddress(name, new IPAddress(data), ttl);
                break;
            case DnsRecordType.Cname or DnsRecordType.Ns or DnsRecordType.Ptr:
                {
                    int at = start;
                    string target = ReadName(message, ref at);
                    CheckEnd(at, end);
                    record = DnsRecord.ForTarget(name, (DnsRecordType)type, target, ttl);
                    break;
                }

            case DnsRecordType.Mx:
                {
                    int at = start;
                    ushort preference = ReadUInt16(message, ref at);
                    string exchange = ReadName(message, ref at);
                    CheckEnd(at, end);
                    record = DnsRecord.ForMx(name, preference, exchange, ttl);
                    break;
                }

            case DnsRecordType.Txt or DnsRecordType.Spf:
                {
                    var strings = new List<string>();
                    int at = 0;
                    while (at < length)
                    {
                        int len = data[at];
                        if (at + 1 + len > length)
                        {
                            throw new DnsFormatException("TXT string runs past its record");
                        }

                        strings.Add(Encoding.Latin1.GetString(data.Slice(at + 1, len)));
                        at += 1 + len;
                    }

                    record = DnsRecord.ForText(name, strings, (DnsRecordType)type, ttl);
                    break;
                }

            case DnsRecordType.Soa:
                {
                    int at = start;
                    string primary = ReadName(message, ref at);
                    _ = ReadName(message, ref at); // RNAME
                    if (at + 20 > end)
                    {
                        throw new DnsFormatException("SOA record too short");
                    }

                    uint minimum = BinaryPrimitives.ReadUInt32BigEndian(message[(at + 16)..]);
                    CheckEnd(at + 20, end);
                    record = DnsRecord.ForSoa(name, primary, minimum, ttl);
                    break;
                }

            default:
                record = DnsRecord.ForData(name, (DnsRecordType)type, data, ttl);
                break;
        }

        offset = end;
        return record;
    }

    private static void CheckEnd(int at, int end)
    {
        if (at != end)
        {
            throw new DnsFormatException("record data length does not match its content");
        }
    }

    /// <summary>Reads a possibly compressed name; pointers must go strictly backwards and are bounded in number.</summary>
    internal static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var sb = new StringBuilder(64);
        int position = offset;
        int jumps = 0;
        int wireLength = 1;
        bool jumped = false;
        int lowestAllowed = offset;
        while (true)
        {
            if (position >= message.Length)
            {
                throw new DnsFormatException("name runs past the end of the message");
            }

            int length = message[position];
            if ((length & 0xc0) == 0xc0)
            {
                if (position + 1 >= message.Length)
                {
                    throw new DnsFormatException("compression pointer cut off");
                }

                int target = ((length & 0x3f) << 8) | message[position + 1];
                if (++jumps > MaxPointerJumps || target >= lowestAllowed)
                {
                    throw new DnsFormatException("compression pointer loop");
                }

                if (!jumped)
                {
                    offset = position + 2;
                    jumped = true;
                }

                lowestAllowed = target;
                position = target;
                continue;
            }

            if ((length & 0xc0) != 0)
            {
                throw new DnsFormatException("unsupported label type");
            }

            if (length == 0)
            {
                if (!jumped)
                {
                    offset = position + 1;
                }

                break;
            }

            wireLength += length + 1;
            if (wireLength > 255)
            {
                throw new DnsFormatException("name longer than 255 octets");
            }

            if (position + 1 + length > message.Length)
            {
                throw new DnsFormatException("label runs past the end of the message");
            }

            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            sb.Append(Encoding.Latin1.GetString(message.Slice(position + 1, length)));
            position += 1 + length;
        }

        return sb.Length == 0 ? "." : sb.ToString();
    }

    private static void WriteName(List<byte> buffer, string name)
    {
        string n = DnsName.Normalize(name);
        if (n == ".")
        {
            buffer.Add(0);
            return;
        }

        if (!DnsName.IsValidQueryName(n))
        {
            throw new DnsFormatException($"'{n}' is not a name that can be queried");
        }

        foreach (string label in n.Split('.'))
        {
            buffer.Add((byte)label.Length);
            foreach (char c in label)
            {
                buffer.Add((byte)c);
            }
        }

        buffer.Add(0);
    }

    private static void AddUInt16(List<byte> buffer, ushort value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> message, ref int offset)
    {
        if (offset + 2 > message.Length)
        {
            throw new DnsFormatException("message cut off");
        }

        ushort value = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        offset += 2;
        return value;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> message, ref int offset)
    {
        if (offset + 4 > message.Length)
        {
            throw new DnsFormatException("message cut off");
        }

        uint value = BinaryPrimitives.ReadUInt32BigEndian(message[offset..]);
        offset += 4;
        return value;
    }
}
