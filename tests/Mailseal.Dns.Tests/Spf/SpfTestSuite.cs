using System.Globalization;
using Mailseal.Dns;
using YamlDotNet.RepresentationModel;

namespace Mailseal.Dns.Tests.Spf;

/// <summary>
/// Reads the openspf.org YAML suites (rfc7208-tests.yml, rfc4408-tests.yml): several YAML
/// documents, each a scenario with its tests and its zonedata. Each scenario's zone is loaded into
/// an <see cref="InMemoryZone"/>: SPF-type records are also published as TXT where the name has no
/// TXT entry of its own (RFC 7208 dropped type 99), "TXT: NONE" marks a name whose TXT lookup finds
/// nothing, and TIMEOUT makes the name's other lookups time out.
/// </summary>
internal static class SpfTestSuite
{
    public static IReadOnlyList<SpfTestCase> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        var cases = new List<SpfTestCase>();
        foreach (YamlDocument document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            string scenario = Scalar(root, "description") ?? "(no description)";
            InMemoryZone zone = LoadZone(root.Children.TryGetValue(new YamlScalarNode("zonedata"), out YamlNode? z) ? z as YamlMappingNode : null);
            var tests = (YamlMappingNode)root.Children[new YamlScalarNode("tests")];
            foreach ((YamlNode key, YamlNode value) in tests.Children)
            {
                var test = (YamlMappingNode)value;
                YamlNode resultNode = test.Children[new YamlScalarNode("result")];
                IReadOnlyList<string> results = resultNode is YamlSequenceNode seq
                    ? seq.Children.Select(n => ((YamlScalarNode)n).Value!).ToList()
                    : [((YamlScalarNode)resultNode).Value!];
                cases.Add(new SpfTestCase(
                    scenario,
                    ((YamlScalarNode)key).Value!,
                    Scalar(test, "helo") ?? string.Empty,
                    Scalar(test, "host") ?? string.Empty,
                    Scalar(test, "mailfrom") ?? string.Empty,
                    results,
                    Scalar(test, "explanation"),
                    zone));
            }
        }

        return cases;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? ((YamlScalarNode)value).Value : null;

    private static InMemoryZone LoadZone(YamlMappingNode? zonedata)
    {
        var zone = new InMemoryZone();
        if (zonedata is null)
        {
            return zone;
        }

        foreach ((YamlNode nameNode, YamlNode entriesNode) in zonedata.Children)
        {
            string name = ((YamlScalarNode)nameNode).Value!;
            zone.AddName(name);
            var entries = (YamlSequenceNode)entriesNode;
            bool hasTxt = entries.Children.Any(e => e is YamlMappingNode m && m.Children.Keys.Any(k => ((YamlScalarNode)k).Value == "TXT"));
            foreach (YamlNode entry in entries.Children)
            {
                if (entry is YamlScalarNode { Value: "TIMEOUT" })
                {
                    zone.AddTimeout(name);
                    continue;
                }

                foreach ((YamlNode typeNode, YamlNode data) in ((YamlMappingNode)entry).Children)
                {
                    string type = ((YamlScalarNode)typeNode).Value!;
                    switch (type)
                    {
                        case "SPF" or "TXT":
                            {
                                IReadOnlyList<string> strings = data is YamlSequenceNode parts
                                    ? parts.Children.Select(p => ((YamlScalarNode)p).Value!).ToList()
                                    : [((YamlScalarNode)data).Value!];
                                if (type == "TXT" && strings is ["NONE"])
                                {
                                    break; // the name exists but has no TXT record
                                }

                                zone.AddText(name, strings, type == "SPF" ? DnsRecordType.Spf : DnsRecordType.Txt);
                                if (type == "SPF" && !hasTxt)
                                {
                                    zone.AddText(name, strings, DnsRecordType.Txt);
                                }

                                break;
                            }

                        case "MX":
                            {
                                var mx = (YamlSequenceNode)data;
                                ushort preference = ushort.Parse(((YamlScalarNode)mx.Children[0]).Value!, CultureInfo.InvariantCulture);
                                zone.Add(DnsRecord.ForMx(name, preference, ((YamlScalarNode)mx.Children[1]).Value!));
                                break;
                            }

                        case "A":
                            zone.Add(name, DnsRecordType.A, ((YamlScalarNode)data).Value!);
                            break;
                        case "AAAA":
                            zone.Add(name, DnsRecordType.Aaaa, ((YamlScalarNode)data).Value!);
                            break;
                        case "PTR":
                            zone.Add(name, DnsRecordType.Ptr, ((YamlScalarNode)data).Value!);
                            break;
                        case "CNAME":
                            zone.Add(name, DnsRecordType.Cname, ((YamlScalarNode)data).Value!);
                            break;
                        default:
                            throw new InvalidDataException($"zonedata record type {type} at {name} is not supported by the loader");
                    }
                }
            }
        }

        return zone;
    }
}
