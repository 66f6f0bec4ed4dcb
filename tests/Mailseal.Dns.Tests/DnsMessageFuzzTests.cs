namespace Mailseal.Dns.Tests;

/// <summary>Hostile answers: mutated and random bytes must give DnsFormatException or a message, never another exception or a hang.</summary>
public sealed class DnsMessageFuzzTests
{
    [Fact]
    public void Mutated_answers_only_ever_fail_with_a_format_error()
    {
        byte[] valid = DnsMessage.BuildResponse(0x4242, 0x8180, "mail.example.test", (ushort)DnsRecordType.Mx,
        [
            ("mail.example.test", (ushort)DnsRecordType.Mx, 60u, [0, 10, .. DnsMessage.EncodeName("mx.example.test")]),
            ("mail.example.test", (ushort)DnsRecordType.Txt, 60u, [3, (byte)'a', (byte)'b', (byte)'c']),
            ("mail.example.test", (ushort)DnsRecordType.A, 60u, [192, 0, 2, 1]),
            ("mail.example.test", (ushort)DnsRecordType.Soa, 60u, [.. DnsMessage.EncodeName("ns.test"), .. DnsMessage.EncodeName("a.test"), .. new byte[20]]),
        ]);
        var random = new Random(7208);
        int parsed = 0, rejected = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] message = (byte[])valid.Clone();
            int flips = random.Next(1, 6);
            for (int f = 0; f < flips; f++)
            {
                message[random.Next(message.Length)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                message = message[..random.Next(message.Length)];
            }

            try
            {
                DnsMessage.Parse(message);
                parsed++;
            }
            catch (DnsFormatException)
            {
                rejected++;
            }
        }

        Assert.Equal(20000, parsed + rejected);
        Assert.True(parsed > 0 && rejected > 0);
    }

    [Fact]
    public void Random_bytes_only_ever_fail_with_a_format_error()
    {
        var random = new Random(1035);
        for (int i = 0; i < 20000; i++)
        {
            byte[] message = new byte[random.Next(0, 600)];
            random.NextBytes(message);
            if (message.Length > 5)
            {
                message[4] = 0;
                message[5] = 1; // one question, so parsing goes past the header
            }

            try
            {
                DnsMessage.Parse(message);
            }
            catch (DnsFormatException)
            {
            }
        }
    }
}
