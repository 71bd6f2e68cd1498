using System.Net;
using System.Net.Sockets;

namespace Holdfast.Testing;

/// <summary>What the throwaway servers of the kit share: free ports, owner checks and directory clean-up.</summary>
internal static class LocalResources
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsAlive(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="directory"/> has an owner file naming a process that no longer runs.</summary>
    public static bool IsAbandoned(string directory, string ownerFileName)
    {
        var ownerFile = Path.Combine(directory, ownerFileName);
        return File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out var owner) && !IsAlive(owner);
    }

    public static void DeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file still held open; the next start's clean-up retries.
        }
    }
}
