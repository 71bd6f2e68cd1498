namespace Holdfast.Faults;

/// <summary>Whether a Unix socket endpoint is there.</summary>
internal enum UnixSocketState
{
    /// <summary>The socket directory does not exist (e.g. the Cloud SQL volume is not mounted).</summary>
    DirectoryMissing,

    /// <summary>The directory exists but holds no socket file for the port (no server, or another port).</summary>
    FileMissing,

    /// <summary>The socket file exists.</summary>
    Present,
}

/// <summary>Looks at a Unix socket endpoint on disk.</summary>
internal static class UnixSocketProbe
{
    /// <summary>Checks the directory and socket file of a Unix socket host.</summary>
    /// <param name="host">A Unix socket host.</param>
    public static UnixSocketState Check(DatabaseHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!host.IsUnixSocket)
        {
            throw new ArgumentException("The host is not a Unix socket directory.", nameof(host));
        }

        return !Directory.Exists(host.Host) ? UnixSocketState.DirectoryMissing
            : File.Exists(host.SocketPath) ? UnixSocketState.Present
            : UnixSocketState.FileMissing;
    }
}
