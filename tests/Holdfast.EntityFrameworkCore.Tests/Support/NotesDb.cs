using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Holdfast.EntityFrameworkCore.Tests.Support;

public sealed class Note
{
    public int Id { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>A small model with one hand-written migration (what 'dotnet ef migrations add' would generate).</summary>
public sealed class NotesDb(DbContextOptions<NotesDb> options) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        // No model snapshot in this test assembly: EF would call the model's changes pending.
        optionsBuilder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Note>(note =>
    {
        note.ToTable("notes");
        note.Property(n => n.Id).HasColumnName("id");
        note.Property(n => n.Text).HasColumnName("text");
    });
}

[DbContext(typeof(NotesDb))]
[Migration("20261202000001_CreateNotes")]
public sealed class CreateNotes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.CreateTable(
        name: "notes",
        columns: table => new
        {
            id = table.Column<int>(nullable: false).Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            text = table.Column<string>(nullable: false),
        },
        constraints: table => table.PrimaryKey("pk_notes", n => n.id));
}

/// <summary>A model whose migration takes three seconds: longer than a one-second table-setup budget.</summary>
public sealed class SlowDb(DbContextOptions<SlowDb> options) : DbContext(options)
{
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
}

[DbContext(typeof(SlowDb))]
[Migration("20261202000002_Slow")]
public sealed class SlowMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("SELECT pg_sleep(3)");
}
