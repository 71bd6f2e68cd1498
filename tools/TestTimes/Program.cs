using System.Globalization;
using System.Xml.Linq;

// test-times RESULTS-DIRECTORY [COUNT]: the slowest COUNT (10) test classes of the TRX files in the directory, by wall
// time from their first test's start to their last test's end (a class fixture's set-up before its first test is not
// in it), with their tests' summed durations; and each test run (one per project) from its first start to its last end.
if (args.Length is < 1 or > 2 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: test-times RESULTS-DIRECTORY [COUNT]: a directory of .trx files (dotnet test --logger trx --results-directory DIR)");
    return 2;
}

var count = args.Length == 2 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 10;
XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
var runs = new List<(string Name, TimeSpan Wall, int Tests)>();
var results = new List<(string Class, DateTimeOffset Start, DateTimeOffset End, TimeSpan Duration)>();
foreach (var file in Directory.EnumerateFiles(args[0], "*.trx", SearchOption.AllDirectories))
{
    XDocument trx;
    try
    {
        trx = XDocument.Load(file);
    }
    catch (System.Xml.XmlException ex)
    {
        Console.Error.WriteLine($"test-times: skipped {Path.GetFileName(file)}: not a complete TRX file ({ex.Message})");
        continue;
    }

    var classes = trx.Descendants(ns + "UnitTest").ToDictionary(
        t => (string)t.Attribute("id")!,
        t => (string?)t.Element(ns + "TestMethod")?.Attribute("className") ?? "?");
    var ofThisRun = trx.Descendants(ns + "UnitTestResult")
        .Where(r => r.Attribute("startTime") is not null && r.Attribute("endTime") is not null)
        .Select(r => (Class: classes.GetValueOrDefault((string)r.Attribute("testId")!, "?"),
            Start: DateTimeOffset.Parse((string)r.Attribute("startTime")!, CultureInfo.InvariantCulture),
            End: DateTimeOffset.Parse((string)r.Attribute("endTime")!, CultureInfo.InvariantCulture),
            Duration: TimeSpan.Parse((string?)r.Attribute("duration") ?? "0", CultureInfo.InvariantCulture)))
        .ToList();
    if (ofThisRun.Count == 0)
    {
        continue;
    }

    // The test assembly the run was of (every test method names its code base, the assembly's path).
    var project = trx.Descendants(ns + "TestMethod").Select(t => Path.GetFileNameWithoutExtension((string?)t.Attribute("codeBase") ?? "?"))
        .GroupBy(name => name).MaxBy(g => g.Count())?.Key ?? Path.GetFileNameWithoutExtension(file);
    runs.Add((project, ofThisRun.Max(r => r.End) - ofThisRun.Min(r => r.Start), ofThisRun.Count));
    results.AddRange(ofThisRun);
}

if (results.Count == 0)
{
    Console.Error.WriteLine($"test-times: no test results in {args[0]}");
    return 1;
}

Console.WriteLine("test runs (first start to last end):");
foreach (var run in runs.OrderByDescending(r => r.Wall))
{
    Console.WriteLine($"  {run.Wall.TotalSeconds,7:0.0} s  {run.Tests,4} tests  {run.Name}");
}

Console.WriteLine($"slowest {count} test classes (first start to last end; summed test time):");
foreach (var c in results.GroupBy(r => r.Class)
             .Select(g => (Class: g.Key, Wall: g.Max(r => r.End) - g.Min(r => r.Start), Sum: TimeSpan.FromTicks(g.Sum(r => r.Duration.Ticks)), Tests: g.Count()))
             .OrderByDescending(c => c.Wall).Take(count))
{
    Console.WriteLine($"  {c.Wall.TotalSeconds,7:0.0} s  {c.Sum.TotalSeconds,7:0.0} s  {c.Tests,4} tests  {c.Class}");
}

return 0;
