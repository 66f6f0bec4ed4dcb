namespace Mailseal.Dns.Tests;

/// <summary>A query as the fake server saw it.</summary>
internal sealed record FakeQuery(ushort Id, string Name, DnsRecordType Type, bool Tcp, ushort EdnsSize, int SourcePort, byte[] Raw);
