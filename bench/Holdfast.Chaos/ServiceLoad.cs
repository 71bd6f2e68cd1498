using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Holdfast.Chaos;

/// <summary>
/// Bounded closed-loop load on the reference service, as its users make it: each caller signs in (two guarded
/// operations) and then reads <c>GET /me</c> (one), again and again, until stopped or until its time limit. Every request
/// is recorded with its start, end, status and <c>Retry-After</c>. Shared by <c>bench/chaos</c> and the reference
/// service's fault tests. Only loopback addresses: the service is on 127.0.0.1.
/// </summary>
internal sealed class ServiceLoad : IAsyncDisposable
{
    private static readonly TimeSpan PauseAfterError = TimeSpan.FromMilliseconds(50);

    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Request> requests = new();
    private readonly CancellationTokenSource stop;
    private readonly HttpClient http;
    private Task callers = Task.CompletedTask;

    private ServiceLoad(HttpClient http, TimeSpan limit)
    {
        this.http = http;
        stop = new CancellationTokenSource(limit);
    }

    /// <summary>Time since the load started.</summary>
    public TimeSpan Now => clock.Elapsed;

    /// <summary>Every request so far.</summary>
    public IReadOnlyList<Request> Requests => [.. requests];

    /// <summary>Starts <paramref name="concurrency"/> callers as <paramref name="email"/>; they stop by themselves after <paramref name="limit"/>.</summary>
    public static ServiceLoad Start(Uri service, string email, string password, int concurrency, TimeSpan limit)
    {
        if (!IPAddress.TryParse(service.Host, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"load goes to loopback addresses only, not {service.Host}", nameof(service));
        }

        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = service,
            Timeout = TimeSpan.FromSeconds(120),
        };
        var load = new ServiceLoad(http, limit);
        load.callers = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => load.CallAsync(email, password))));
        return load;
    }

    /// <summary>Stops the callers and waits for the requests in flight.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await callers.ConfigureAwait(false);
    }

    /// <summary>Waits until a request that started at or after <paramref name="after"/> succeeded; its end, or null after <paramref name="within"/>.</summary>
    public async Task<TimeSpan?> FirstSuccessAfterAsync(TimeSpan after, TimeSpan within)
    {
        while (Now < after + within)
        {
            if (FirstEnd(r => r.Status == 200 && r.Start >= after) is { } at)
            {
                return at;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>The end of the first request matching <paramref name="match"/>, or null.</summary>
    public TimeSpan? FirstEnd(Func<Request, bool> match) =>
        requests.Where(match).Select(r => (TimeSpan?)r.End).Min();

    /// <summary>Requests in flight at any moment of the window.</summary>
    public IReadOnlyList<Request> During(TimeSpan from, TimeSpan to) => [.. requests.Where(r => r.End >= from && r.Start <= to)];

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(callers, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
        stop.Dispose();
        http.Dispose();
    }

    private async Task CallAsync(string email, string password)
    {
        string? token = null;
        while (!stop.IsCancellationRequested)
        {
            if (token is null)
            {
                var (status, body) = await SendAsync("sign-in", () => new HttpRequestMessage(HttpMethod.Post, "/sign-in")
                {
                    Content = JsonContent.Create(new { email, password }),
                }).ConfigureAwait(false);
                token = status == 200 && body is not null ? JsonDocument.Parse(body).RootElement.GetProperty("token").GetString() : null;
                if (status != 200)
                {
                    await PauseAsync().ConfigureAwait(false);
                }

                continue;
            }

            var me = token;
            var (meStatus, _) = await SendAsync("me", () => new HttpRequestMessage(HttpMethod.Get, "/me")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", me) },
            }).ConfigureAwait(false);
            token = null;
            if (meStatus != 200)
            {
                await PauseAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<(int Status, string? Body)> SendAsync(string name, Func<HttpRequestMessage> create)
    {
        var start = Now;
        try
        {
            using var request = create();
            using var response = await http.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false);
            requests.Enqueue(new Request(name, start, Now, (int)response.StatusCode, response.Headers.RetryAfter?.Delta));
            return ((int)response.StatusCode, body);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // No HTTP answer at all (the service died, or the client gave up): recorded as status 0.
            requests.Enqueue(new Request(name, start, Now, 0, null));
            return (0, null);
        }
    }

    private Task PauseAsync() => Task.Delay(PauseAfterError, CancellationToken.None);

    /// <summary>One request: what it was, when it ran (since the load started), its status (0: no answer) and Retry-After.</summary>
    internal sealed record Request(string Name, TimeSpan Start, TimeSpan End, int Status, TimeSpan? RetryAfter)
    {
        public TimeSpan Duration => End - Start;
    }
}
