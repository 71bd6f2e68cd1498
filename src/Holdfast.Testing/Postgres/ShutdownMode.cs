namespace Holdfast.Testing;

/// <summary>How <see cref="LocalPostgres.StopAsync"/> shuts the server down (<c>pg_ctl stop -m</c>).</summary>
public enum ShutdownMode
{
    /// <summary>Refuse new connections (57P03 "shutting down") and wait for existing sessions to end.</summary>
    Smart,

    /// <summary>Terminate sessions (57P01) and shut down cleanly.</summary>
    Fast,

    /// <summary>Quit at once, as in a crash.</summary>
    Immediate,
}
