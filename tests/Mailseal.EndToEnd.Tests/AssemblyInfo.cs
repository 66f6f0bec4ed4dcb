// Every real-server test shares one stack of daemons and one serial collection: no parallel runs.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The harness drives Linux daemons (pid files, unix sockets, file modes): Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
