using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Holdfast.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 whose behaviour switches at run time: pass, latency, blackhole (accept and never
/// answer), reset and refuse. Put it between a client and <see cref="LocalPostgres"/> to produce network
/// faults for real, without <c>tc</c> or root.
/// </summary>
/// <example>
/// <code>
/// await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
/// proxy.Blackhole();   // connects now hang until their timeout
/// proxy.Pass();        // healed
/// </code>
/// </example>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly EndPoint upstream;
    private readonly ConcurrentDictionary<ProxiedConnection, byte> connections = new();
    private readonly ConcurrentDictionary<Task, byte> handlers = new();
    private readonly Lock gate = new();
    private readonly CancellationTokenSource lifetime = new();
    private Socket? listener;
    private Task acceptLoop = Task.CompletedTask;
    private long latencyTicks;
    private int mode;
    private long accepted;

    /// <summary>When each connection was accepted, oldest first; the most recent <see cref="MaxRecordedAccepts"/>.</summary>
    private readonly ConcurrentQueue<DateTimeOffset> acceptTimes = new();

    /// <summary>How many accept times are kept.</summary>
    private const int MaxRecordedAccepts = 100_000;

    private FaultProxy(EndPoint upstream, int port)
    {
        this.upstream = upstream;
        Port = port;
    }

    /// <summary>The host to connect to: always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The port the proxy listens on; it stays the same across <see cref="Refuse"/> and back.</summary>
    public int Port { get; private set; }

    /// <summary>The current mode.</summary>
    public FaultMode Mode => (FaultMode)Volatile.Read(ref mode);

    /// <summary>The added delay in <see cref="FaultMode.Latency"/> mode.</summary>
    public TimeSpan Latency => TimeSpan.FromTicks(Interlocked.Read(ref latencyTicks));

    /// <summary>How many connections are open through the proxy now.</summary>
    public int OpenConnections => connections.Count;

    /// <summary>How many connections the proxy has accepted since it started.</summary>
    public long AcceptedConnections => Interlocked.Read(ref accepted);

    /// <summary>When each connection was accepted (the most recent 100 000), oldest first: a client's connection attempts.</summary>
    public IReadOnlyList<DateTimeOffset> AcceptTimes => [.. acceptTimes];

    /// <summary>
    /// The most connections accepted within any <paramref name="window"/> (a sliding window) between <paramref name="from"/>
    /// and <paramref name="to"/>: how hard the client behind the proxy tried, e.g. "at most one connect per 100 ms".
    /// </summary>
    /// <param name="window">The window's length.</param>
    /// <param name="from">The start of the span looked at.</param>
    /// <param name="to">The end of the span looked at.</param>
    public int MaxAcceptsWithin(TimeSpan window, DateTimeOffset from, DateTimeOffset to) => MaxWithin(AcceptTimes, window, from, to);

    /// <summary>The most of <paramref name="times"/> (sorted) within any <paramref name="window"/> between <paramref name="from"/> and <paramref name="to"/>.</summary>
    /// <param name="times">Moments, oldest first.</param>
    /// <param name="window">The window's length.</param>
    /// <param name="from">The start of the span looked at.</param>
    /// <param name="to">The end of the span looked at.</param>
    public static int MaxWithin(IReadOnlyList<DateTimeOffset> times, TimeSpan window, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(times);
        var most = 0;
        var first = 0;
        var inSpan = times.Where(t => t >= from && t <= to).ToList();
        for (var last = 0; last < inSpan.Count; last++)
        {
            while (inSpan[last] - inSpan[first] >= window)
            {
                first++;
            }

            most = Math.Max(most, last - first + 1);
        }

        return most;
    }

    /// <summary>Starts a proxy to <paramref name="upstreamHost"/>:<paramref name="upstreamPort"/>, in <see cref="FaultMode.Pass"/> mode.</summary>
    /// <param name="upstreamHost">Where to forward: an IP address or host name.</param>
    /// <param name="upstreamPort">The upstream port.</param>
    /// <param name="listenPort">The port to listen on; 0 (default) picks a free one.</param>
    public static FaultProxy Start(string upstreamHost, int upstreamPort, int listenPort = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(upstreamHost);
        EndPoint target = IPAddress.TryParse(upstreamHost, out var address)
            ? new IPEndPoint(address, upstreamPort)
            : new DnsEndPoint(upstreamHost, upstreamPort);
        var proxy = new FaultProxy(target, listenPort);
        proxy.Listen();
        return proxy;
    }

    /// <summary>Forwards everything unchanged from now on; listens again after <see cref="Refuse"/>.</summary>
    public void Pass() => Switch(FaultMode.Pass, TimeSpan.Zero);

    /// <summary>Delays new connects and every chunk of data, both ways, by <paramref name="latency"/>.</summary>
    /// <param name="latency">The delay.</param>
    public void AddLatency(TimeSpan latency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        Switch(FaultMode.Latency, latency);
    }

    /// <summary>Accepts connections and never answers; open connections go silent.</summary>
    public void Blackhole() => Switch(FaultMode.Blackhole, TimeSpan.Zero);

    /// <summary>Resets open connections and every new one at once.</summary>
    public void Reset() => Switch(FaultMode.Reset, TimeSpan.Zero);

    /// <summary>Resets open connections and stops listening, so connects are refused.</summary>
    public void Refuse() => Switch(FaultMode.Refuse, TimeSpan.Zero);

    /// <summary>Resets every open connection without changing the mode.</summary>
    public void ResetOpenConnections()
    {
        foreach (var connection in connections.Keys)
        {
            connection.Reset();
        }
    }

    /// <summary>Stops listening, resets every open connection and waits until their handlers have finished.</summary>
    public async ValueTask DisposeAsync()
    {
        if (lifetime.IsCancellationRequested)
        {
            return;
        }

        lifetime.Cancel();
        lock (gate)
        {
            listener?.Dispose();
            listener = null;
        }

        ResetOpenConnections();
        await acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(handlers.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        lifetime.Dispose();
    }

    private void Switch(FaultMode next, TimeSpan latency)
    {
        ObjectDisposedException.ThrowIf(lifetime.IsCancellationRequested, this);
        lock (gate)
        {
            Interlocked.Exchange(ref latencyTicks, latency.Ticks);
            Volatile.Write(ref mode, (int)next);
            if (next is FaultMode.Reset or FaultMode.Refuse)
            {
                ResetOpenConnections();
            }

            if (next == FaultMode.Refuse)
            {
                listener?.Dispose();
                listener = null;
            }
            else if (listener is null)
            {
                Listen();
            }
        }
    }

    private void Listen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, Port));
        socket.Listen(512);
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        listener = socket;
        // A thread of its own, blocked in accept: each connection is stamped the moment the kernel hands it over, not when
        // a busy thread pool gets round to it, so AcceptTimes are what a server would see.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                AcceptLoop(socket);
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "FaultProxy accept",
        };
        var previous = acceptLoop;
        acceptLoop = Task.WhenAll(previous, done.Task);
        thread.Start();
    }

    private void AcceptLoop(Socket socket)
    {
        while (!lifetime.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = socket.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            acceptTimes.Enqueue(TimeProvider.System.GetUtcNow());
            // The mode at the moment of the accept decides the connection's fate, whenever its handler runs.
            var modeAtAccept = Mode;
            Interlocked.Increment(ref accepted);
            if (acceptTimes.Count > MaxRecordedAccepts)
            {
                acceptTimes.TryDequeue(out _);
            }

            var handler = Task.Run(() => HandleAsync(client, modeAtAccept));
            handlers.TryAdd(handler, 0);
            _ = handler.ContinueWith(t => handlers.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(Socket client, FaultMode modeAtAccept)
    {
        using var connection = new ProxiedConnection(client);
        connections.TryAdd(connection, 0);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(connection.Stop.Token, lifetime.Token);
            var token = linked.Token;
            switch (modeAtAccept)
            {
                case FaultMode.Reset or FaultMode.Refuse:
                    return;
                case FaultMode.Blackhole:
                    await SwallowAsync(client, token).ConfigureAwait(false);
                    return;
                case FaultMode.Latency:
                    await Task.Delay(Latency, TimeProvider.System, token).ConfigureAwait(false);
                    break;
            }

            var upstreamSocket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            connection.Upstream = upstreamSocket;
            await upstreamSocket.ConnectAsync(upstream, token).ConfigureAwait(false);
            client.NoDelay = true;
            var toServer = PumpAsync(client, upstreamSocket, token);
            var toClient = PumpAsync(upstreamSocket, client, token);
            await Task.WhenAny(toServer, toClient).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The connection ends: a reset, a refusal upstream, or the proxy stopping.
        }
        finally
        {
            connections.TryRemove(connection, out _);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            switch (Mode)
            {
                case FaultMode.Blackhole:
                    continue;
                case FaultMode.Latency:
                    await Task.Delay(Latency, TimeProvider.System, token).ConfigureAwait(false);
                    break;
            }

            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token).ConfigureAwait(false);
        }
    }

    private static async Task SwallowAsync(Socket client, CancellationToken token)
    {
        var buffer = new byte[4096];
        while (await client.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false) > 0)
        {
        }
    }
}
