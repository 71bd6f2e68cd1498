using System.Net.Sockets;

namespace Holdfast.Testing;

/// <summary>One client connection through the proxy and its upstream connection.</summary>
internal sealed class ProxiedConnection(Socket client) : IDisposable
{
    private int closed;

    public Socket Client { get; } = client;

    public Socket? Upstream { get; set; }

    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Ends the connection with a TCP RST on both sides.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0)
        {
            return;
        }

        try
        {
            Stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection finished on its own meanwhile.
        }

        Abort(Client);
        if (Upstream is { } upstream)
        {
            Abort(upstream);
        }
    }

    /// <summary>Ends the connection gracefully (FIN) unless it was reset.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref closed, 1) == 0)
        {
            Close(Client);
            if (Upstream is { } upstream)
            {
                Close(upstream);
            }
        }

        Stop.Dispose();
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }
}
