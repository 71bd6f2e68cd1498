using Holdfast.Timeouts;

namespace Holdfast.Tests.Resilience;

/// <summary>
/// IAM-style tokens against a real server: when the server stops accepting a token that worked (expired, revoked — here
/// <c>ALTER ROLE ... PASSWORD</c>), the provider is asked again and one more attempt made, for every caller of the wave;
/// a token the server never accepted, or the provider's fresh one refused too, is permanent at once.
/// </summary>
public sealed class ExpiringCredentialsTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string token = "tok-1";
    private int asked;

    [Fact]
    public async Task TokenRevokedAfterSuccess_TwentyFourCallers_AskTheProviderOnceMore_AndSucceed()
    {
        var (role, db) = await CreateAsync();
        await using (db)
        {
            Assert.Equal(1, await SelectOneAsync(db));
            Assert.Equal(1, asked);

            // The token is revoked and the provider now issues the next one; the pool's connections are gone (a restart).
            await fixture.Postgres.ExecuteAsync($"ALTER ROLE {role} PASSWORD 'tok-2'", Ct);
            Volatile.Write(ref token, "tok-2");
            db.Inner.Clear();

            var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => Task.Run(() => SelectOneAsync(db), Ct)));

            Assert.All(results, r => Assert.Equal(1, r));
            Assert.Equal(2, asked);
        }
    }

    [Fact]
    public async Task ProvidersNewTokenRefusedToo_IsPermanentAfterOneMoreAttempt_NotRetriedForTheBudget()
    {
        var (role, db) = await CreateAsync();
        await using (db)
        {
            Assert.Equal(1, await SelectOneAsync(db));
            await fixture.Postgres.ExecuteAsync($"ALTER ROLE {role} PASSWORD 'tok-unknown-to-the-provider'", Ct);
            db.Inner.Clear();

            var watch = System.Diagnostics.Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(() => SelectOneAsync(db));

            Assert.Equal(FailureKind.AuthenticationFailed, ex.Failure.Kind);
            Assert.Equal(2, ex.Attempts);
            Assert.Equal(2, asked);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed} (budget 10 s)");
            Assert.DoesNotContain("tok-", ex.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TokenNeverAccepted_FailsInOneAttempt()
    {
        var (_, db) = await CreateAsync(serverPassword: "tok-other");
        await using (db)
        {
            var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(() => SelectOneAsync(db));

            Assert.Equal(FailureKind.AuthenticationFailed, ex.Failure.Kind);
            Assert.Equal(1, ex.Attempts);
            Assert.Equal(1, asked);
        }
    }

    [Fact]
    public void PasswordInTheUrlAndAProvider_IsAConfigurationError()
    {
        var ex = Assert.Throws<HoldfastConfigurationException>(() => new HoldfastDataSourceBuilder("postgres://app:secret@db.internal/app")
            .Configure(o => o.PasswordProvider = _ => ValueTask.FromResult("t"))
            .Build());

        Assert.Contains("a password provider is set too", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    private async Task<(string Role, HoldfastDataSource Db)> CreateAsync(string serverPassword = "tok-1")
    {
        var postgres = fixture.Postgres;
        var role = $"iam_{Guid.NewGuid():N}"[..20];
        await postgres.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{serverPassword}'", Ct);
        await postgres.ExecuteAsync($"GRANT CONNECT ON DATABASE {postgres.Database} TO {role}", Ct);
        var app = GuardedSources.NewApplicationName("iam");
        var db = new HoldfastDataSourceBuilder($"postgres://{role}@{postgres.Host}:{postgres.Port}/{postgres.Database}?application_name={app}")
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test, GuardedSources.Short))
            .Configure(o =>
            {
                o.Name = app;
                o.Retry.BaseDelay = TimeSpan.FromMilliseconds(50);
                o.PasswordRefreshInterval = TimeSpan.FromHours(1);
                o.PasswordProvider = _ =>
                {
                    Interlocked.Increment(ref asked);
                    return ValueTask.FromResult(Volatile.Read(ref token));
                };
            })
            .Build();
        return (role, db);
    }

    private static Task<int> SelectOneAsync(HoldfastDataSource db) =>
        db.ExecuteAsync((c, t) => GuardedSources.ScalarAsync(c, "SELECT 1", t), Ct).AsTask();
}
