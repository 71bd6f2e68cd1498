using System.Net;
using System.Net.Sockets;

namespace Holdfast.Tests.Shared;

/// <summary>
/// A server on 127.0.0.1 that is not PostgreSQL: it answers whatever arrives with an HTTP 400, as Kestrel or nginx do, and
/// closes. For the "this is not a PostgreSQL server" diagnosis.
/// </summary>
public sealed class HttpOnlyServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public HttpOnlyServer()
    {
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[1024];
                _ = await stream.ReadAsync(buffer, stop.Token);
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), stop.Token);
            }
            catch (IOException)
            {
                // The client went away first.
            }
        }
    }
}
