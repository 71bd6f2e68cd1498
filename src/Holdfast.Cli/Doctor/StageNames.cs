namespace Holdfast.Cli.Doctor;

/// <summary>The doctor's stages, in order. Resolve and socket are the same slot: TCP hosts resolve, Unix sockets are looked for.</summary>
internal static class StageNames
{
    public const string Parse = "parse";
    public const string Resolve = "resolve";
    public const string Socket = "socket";
    public const string Tcp = "tcp";
    public const string Tls = "tls";
    public const string Authentication = "authentication";
    public const string FirstQuery = "first-query";
    public const string ServerFacts = "server-facts";
    public const string Hosts = "hosts";
    public const string Connects = "connects";

    public static readonly string[] All = [Parse, Resolve, Tcp, Tls, Authentication, FirstQuery, ServerFacts, Connects];

    /// <summary>The stages for an endpoint: with several hosts, a walk over every host comes before the timed connects.</summary>
    public static IReadOnlyList<string> For(bool multiHost) =>
        multiHost ? [Parse, Resolve, Tcp, Tls, Authentication, FirstQuery, ServerFacts, Hosts, Connects] : All;
}
