namespace Holdfast;

/// <summary>Where an endpoint's settings were found. Sources are tried in this order; the first found wins.</summary>
public enum EndpointSource
{
    /// <summary>A connection string given explicitly (the CLI's <c>--connection</c>, or code).</summary>
    Explicit,

    /// <summary>The <c>ConnectionStrings:Database</c> configuration key (<c>ConnectionStrings__Database</c>).</summary>
    ConnectionString,

    /// <summary>The <c>DATABASE_URL</c> variable.</summary>
    DatabaseUrl,

    /// <summary>The <c>POSTGRES_HOST</c>, <c>POSTGRES_PORT</c>, <c>POSTGRES_DB</c>, <c>POSTGRES_USER</c>, <c>POSTGRES_PASSWORD</c> set.</summary>
    PostgresVariables,
}
