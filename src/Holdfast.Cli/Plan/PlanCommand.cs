using System.CommandLine;
using System.Globalization;
using Holdfast.Capacity;
using Holdfast.Cli.Common;
using Holdfast.Faults;
using Npgsql;
using Spectre.Console;

namespace Holdfast.Cli.Plan;

/// <summary><c>holdfast plan</c>: the per-instance pool size for a capacity, with the arithmetic, or why nothing fits.</summary>
internal static class PlanCommand
{
    public static Command Create(CliOptions common, CliConsole console)
    {
        var maxConnections = Whole("--max-connections", "The server's max_connections (read from the server with --from-server).");
        var instances = Whole("--instances", "Service instances running at once (default 1 with --from-server).");
        var reserved = Whole("--reserved", "superuser_reserved_connections (default 3; read from the server with --from-server).");
        var otherClients = Whole("--other-clients", "Connections held by other clients (default 0; counted from pg_stat_activity with --from-server).");
        var margin = new Option<double>("--margin")
        {
            Description = "The share of the rest pools may take, above 0 and at most 1.",
            DefaultValueFactory = _ => CapacityInputs.DefaultSafetyMargin,
            CustomParser = CliParsing.Decimal,
        };
        var overlap = Whole("--rollout-overlap", "Extra instances while a rolling deployment runs old and new side by side.");
        var maxInstances = Whole("--max-instances", "Autoscaling's maximum (Cloud Run --max-instances, an HPA's maxReplicas): the plan is for it.");
        var minInstances = Whole("--min-instances", "Autoscaling's minimum, shown with the plan (it never needs more than the maximum).");
        var surge = new Option<string?>("--max-surge")
        {
            Description = "Extra instances during a rollout, as Kubernetes' maxSurge writes it: a count (2) or a share of the instances " +
                          "(25%, rounded up); 100% for Cloud Run, which runs the new revision beside the old one.",
        };
        var overflow = Whole("--overflow", "Connections per instance beyond the pool, all told (default: --health-pool + --admin-pool).");
        var healthPool = Whole("--health-pool", "Each instance's health pool (Holdfast:Health:MaxConnections, default 1).");
        var adminPool = Whole("--admin-pool", "Admin connections each instance keeps while serving (default 0: Holdfast closes its admin pool once start-up is done).");
        var fromServer = new Option<bool>("--from-server") { Description = "Read max_connections, superuser_reserved_connections and connections by application_name from the live server." };
        var applicationName = new Option<string?>("--application-name") { Description = "With --from-server: the service's application name; its connections (and -admin, -health) are not 'other clients'." };
        var poolerPoolSize = Whole("--pooler-pool-size", "Behind a pooler: its server connections per database and user (PgBouncer's default_pool_size, default 20).");
        var poolerClients = Whole("--pooler-max-client-conn", "Behind a pooler: the client connections one pooler accepts (PgBouncer's max_client_conn, default 100).");
        var poolerDbConnections = Whole("--pooler-max-db-connections", "Behind a pooler: its cap on server connections per database (max_db_connections; 0, the default, is none).");
        var poolers = Whole("--poolers", "Behind a pooler: pooler instances side by side (default 1).");
        var json = CliOptions.JsonFlag();
        var command = new Command("plan",
            "Size the per-instance pool: instances x (pool + overflow) must stay within (max_connections - reserved - other clients) x margin, " +
            "counting the extra instances of a rolling deployment. Shows the arithmetic, or why no plan fits and what to change (exit 2).\n\n" +
            "Examples:\n" +
            "  holdfast plan --max-connections 100 --instances 4\n" +
            "  holdfast plan --max-connections 500 --instances 20 --reserved 3 --other-clients 10 --margin 0.8 --rollout-overlap 2\n" +
            "  holdfast plan --from-server --instances 6 --application-name orders-api --json\n" +
            "  holdfast plan --max-connections 100 --instances 40 --pooler-pool-size 20 --pooler-max-client-conn 1000\n" +
            "  holdfast plan --max-connections 40 --reserved 3 --other-clients 1 --min-instances 6 --max-instances 12 --max-surge 1\n\n" +
            "Behind a pooler (any --pooler-* option or --poolers), the pools are the pooler's clients: they must fit its " +
            "max_client_conn, and the pooler's own server connections must fit the server's budget.")
        {
            maxConnections, instances, maxInstances, minInstances, surge, reserved, otherClients, margin, overlap, overflow, healthPool, adminPool,
            fromServer, applicationName,
            poolerPoolSize, poolerClients, poolerDbConnections, poolers, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServerCapacity? server = null;
            if (parse.GetValue(fromServer))
            {
                var endpoint = DatabaseEndpoint.Resolve(CliConfiguration.Load(environment: parse.GetValue(common.Environment)), parse.GetValue(common.Connection));
                server = await ReadServerAsync(endpoint, cancellationToken);
            }
            else if (parse.GetValue(maxConnections) is null || (parse.GetValue(instances) ?? parse.GetValue(maxInstances)) is null)
            {
                throw new CliUsageException(["give --max-connections and --instances, or --from-server to read the server",
                    "run 'holdfast plan --help' for usage"]);
            }

            var fleet = FleetSize.From(parse.GetValue(instances), parse.GetValue(minInstances), parse.GetValue(maxInstances),
                parse.GetValue(surge), parse.GetValue(overlap));
            var inputs = new CapacityInputs(
                parse.GetValue(maxConnections) ?? server!.MaxConnections,
                fleet.Instances,
                parse.GetValue(reserved) ?? server?.Reserved ?? CapacityInputs.DefaultReserved,
                parse.GetValue(otherClients) ?? server?.OtherClients(parse.GetValue(applicationName)) ?? 0,
                parse.GetValue(margin),
                fleet.RolloutOverlap,
                Overflow(parse.GetValue(overflow), parse.GetValue(healthPool), parse.GetValue(adminPool)));
            if (inputs.Problems() is { Count: > 0 } problems)
            {
                throw new CliUsageException(problems);
            }

            PoolerCapacity? pooler = null;
            if (parse.GetValue(poolerPoolSize) is not null || parse.GetValue(poolerClients) is not null ||
                parse.GetValue(poolerDbConnections) is not null || parse.GetValue(poolers) is not null)
            {
                pooler = new PoolerCapacity(
                    parse.GetValue(poolerPoolSize) ?? PoolerCapacity.PgBouncerDefaultPoolSize,
                    parse.GetValue(poolerClients) ?? PoolerCapacity.PgBouncerMaxClientConnections,
                    parse.GetValue(poolerDbConnections) ?? 0,
                    parse.GetValue(poolers) ?? 1);
                if (pooler.Problems() is { Count: > 0 } poolerProblems)
                {
                    throw new CliUsageException(poolerProblems);
                }
            }

            var plan = pooler is null ? PoolPlanner.Plan(inputs) : PoolPlanner.Plan(inputs, pooler);
            if (parse.GetValue(json))
            {
                console.Output.WriteLine(CliJson.Serialize(new { plan.Fits, plan.PoolSize, plan.Verdict, plan.Inputs, Pooler = pooler, plan.Usable, plan.Budget, plan.InstancesAtOnce, plan.PerInstance, plan.Total, Headroom = Headroom(plan), Fleet = fleet, plan.Steps, Server = server }));
            }
            else
            {
                Write(console.Ansi, plan, server, fleet);
            }

            return plan.Fits ? ExitCodes.Healthy : ExitCodes.InvalidConfiguration;
        });
        return command;
    }

    /// <summary>Each instance's connections beyond its pool: given whole, or as its health and admin pools.</summary>
    private static int Overflow(int? overflow, int? healthPool, int? adminPool)
    {
        if (overflow is not null && (healthPool is not null || adminPool is not null))
        {
            throw new CliUsageException("--overflow is the whole count beyond the pool: give it, or --health-pool and --admin-pool, not both");
        }

        return overflow ?? ((healthPool ?? CapacityInputs.DefaultOverflow) + (adminPool ?? 0));
    }

    private static Option<int?> Whole(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => CliParsing.OptionalInteger(result, 0),
    };

    private static async Task<ServerCapacity> ReadServerAsync(DatabaseEndpoint endpoint, CancellationToken cancellationToken)
    {
        var settings = endpoint.ToConnectionStringBuilder("holdfast-plan");
        settings.Pooling = false;
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return await ServerCapacity.ReadAsync(connection, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new CliFailureException(FailureClassifier.Classify(ex, endpoint));
        }
    }

    /// <summary>What is left of the budget at the planned maximum, during a rollout: the room for another client.</summary>
    private static int? Headroom(PoolPlan plan) => plan.Fits ? plan.Budget - plan.Total : null;

    private static void Write(IAnsiConsole console, PoolPlan plan, ServerCapacity? server, FleetSize fleet)
    {
        console.MarkupLine("[bold]holdfast plan[/]");
        if (server is not null)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("application_name", "connections");
            foreach (var application in server.Applications)
            {
                table.AddRow(Markup.Escape(application.ApplicationName.Length == 0 ? "(none)" : application.ApplicationName),
                    application.Connections.ToString(CultureInfo.InvariantCulture));
            }

            console.MarkupLine($"server    max_connections {server.MaxConnections}, superuser_reserved_connections {server.Reserved}");
            if (server.Applications.Count == 0)
            {
                console.MarkupLine("          no other client connections");
            }
            else
            {
                console.Write(table);
            }
        }

        foreach (var step in plan.Steps)
        {
            console.MarkupLine($"  {Markup.Escape(step)}");
        }

        if (fleet.Description is { } description)
        {
            console.MarkupLine($"  fleet: {Markup.Escape(description)}");
        }

        if (Headroom(plan) is { } headroom)
        {
            console.MarkupLine($"  headroom = {plan.Budget} - {plan.Total} = {headroom} connections left at {plan.InstancesAtOnce} instances at once");
        }

        console.MarkupLine(plan.Fits ? $"[green bold]PLAN[/] {Markup.Escape(plan.Verdict)}" : $"[red bold]NO PLAN FITS[/] {Markup.Escape(plan.Verdict)}");
    }
}
