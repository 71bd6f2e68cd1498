using System.Data.Common;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Holdfast.Benchmarks;

/// <summary>
/// The other documented ways of writing data access, each against its own baseline on an identical pool, in the same
/// alternating slices as select1-throughput:
/// <list type="bullet">
/// <item>dapper-c16: Dapper's <c>QuerySingleAsync&lt;int&gt;</c> on a connection from Holdfast as a <see cref="DbDataSource"/>
/// (as the README writes it) against Dapper on a raw <see cref="NpgsqlDataSource"/>.</item>
/// <item>efcore-query-c16: an EF Core query by key (a new context per call, as <c>AddDbContext</c> gives one per request)
/// through <c>UseHoldfast</c> against <c>UseNpgsql</c> with <c>EnableRetryOnFailure</c> on a raw data source.</item>
/// </list>
/// </summary>
internal static class IntegrationThroughput
{
    public static Task<BenchResult> DapperAsync(string name, int concurrency, NpgsqlDataSource raw, HoldfastDataSource guarded, BenchSettings settings) =>
        Throughput.CompareAsync(name, concurrency, ct => QueryAsync(raw, ct), ct => QueryAsync(guarded, ct), settings);

    /// <summary>The Dapper benchmarks' call, as the README writes it: a connection from the <see cref="DbDataSource"/>, then Dapper on it.</summary>
    public static async Task<int> QueryAsync(DbDataSource source, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
    }

    public static async Task<BenchResult> EfCoreAsync(string name, int concurrency, NpgsqlDataSource raw, HoldfastDataSource guarded, BenchSettings settings)
    {
        await CreateItemsAsync(raw);
        var rawOptions = new DbContextOptionsBuilder<BenchDb>().UseNpgsql(raw, npgsql => npgsql.EnableRetryOnFailure()).Options;
        var guardedBuilder = new DbContextOptionsBuilder<BenchDb>();
        guardedBuilder.UseHoldfast(guarded);
        var guardedOptions = guardedBuilder.Options;
        return await Throughput.CompareAsync(name, concurrency, ct => FindAsync(rawOptions, ct), ct => FindAsync(guardedOptions, ct), settings);

    }

    /// <summary>The EF Core benchmarks' table, with its one row.</summary>
    public static async Task CreateItemsAsync(NpgsqlDataSource raw)
    {
        await using var setup = await raw.OpenConnectionAsync();
        await using var create = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS bench_items (id int PRIMARY KEY, name text NOT NULL); " +
            "INSERT INTO bench_items VALUES (1, 'one') ON CONFLICT DO NOTHING", setup);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>The query of the EF Core benchmarks: a new context (as <c>AddDbContext</c> gives each request) and a row by key.</summary>
    public static async Task<BenchItem> FindAsync(DbContextOptions<BenchDb> options, CancellationToken cancellationToken)
    {
        await using var db = new BenchDb(options);
        return await db.Items.AsNoTracking().SingleAsync(i => i.Id == 1, cancellationToken);
    }
}

/// <summary>The EF Core benchmark's context: one small table.</summary>
public sealed class BenchDb(DbContextOptions<BenchDb> options) : DbContext(options)
{
    public DbSet<BenchItem> Items => Set<BenchItem>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<BenchItem>(item =>
        {
            item.ToTable("bench_items");
            item.Property(i => i.Id).HasColumnName("id");
            item.Property(i => i.Name).HasColumnName("name");
        });
}

/// <summary>A row of <c>bench_items</c>.</summary>
public sealed class BenchItem
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}
