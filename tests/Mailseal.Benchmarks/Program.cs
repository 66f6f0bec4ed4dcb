// Placeholder: the benchmarks issue fills this in (see README, Benchmarks).
Console.WriteLine("no benchmarks yet");
return 0;
