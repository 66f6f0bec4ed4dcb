using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// A NativeAOT "hello, world" published with the properties src/Mailseal/Mailseal.csproj
/// publishes the tools with (and under the repository's Directory.Build.props, as the tools are):
/// the floor of a native .NET process on this machine, what no tool can start below. Published
/// once into artifacts/bench/hello-native and reused while its project text is unchanged (a
/// NativeAOT publish takes a minute or more).
/// </summary>
public static class NativeHelloWorld
{
    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Written by Mailseal.Benchmarks (NativeHelloWorld.cs): the publish properties of src/Mailseal/Mailseal.csproj. -->
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <AssemblyName>hello</AssemblyName>
            <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
            <PublishAot>true</PublishAot>
            <SelfContained>true</SelfContained>
            <OptimizationPreference>Speed</OptimizationPreference>
            <EventSourceSupport>false</EventSourceSupport>
            <StripSymbols>true</StripSymbols>
          </PropertyGroup>
        </Project>

        """;

    private const string Program = "System.Console.WriteLine(\"hello, world\");\n";

    /// <summary>The path of the published binary, publishing it first when needed.</summary>
    public static async Task<string> PathAsync(CancellationToken cancellationToken)
    {
        string folder = Path.Combine(PublishedTools.RepositoryRoot(), "artifacts", "bench", "hello-native");
        string project = Path.Combine(folder, "hello.csproj");
        string source = Path.Combine(folder, "Program.cs");
        string binary = Path.Combine(folder, "publish", "hello");
        if (File.Exists(binary) && File.Exists(project) && File.Exists(source)
            && await File.ReadAllTextAsync(project, cancellationToken).ConfigureAwait(false) == Project
            && await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false) == Program)
        {
            return binary;
        }

        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(project, Project, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(source, Program, cancellationToken).ConfigureAwait(false);
        (await ProcessRunner.RunAsync(new ProcessRequest("dotnet", ["publish", project, "-c", "Release", "-o", Path.Combine(folder, "publish"), "-nologo", "-v", "quiet"]) { Timeout = TimeSpan.FromMinutes(10) }, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        return File.Exists(binary) ? binary : throw new InvalidOperationException($"dotnet publish made no {binary}");
    }
}
