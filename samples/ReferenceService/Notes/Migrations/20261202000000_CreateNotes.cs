using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace ReferenceService.Notes.Migrations;

/// <summary>The notes table (as 'dotnet ef migrations add CreateNotes' generates it).</summary>
[DbContext(typeof(NotesDb))]
[Migration("20261202000000_CreateNotes")]
public sealed class CreateNotes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.CreateTable(
        name: "notes",
        columns: table => new
        {
            id = table.Column<long>(type: "bigint", nullable: false)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            text = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
            created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
        },
        constraints: table => table.PrimaryKey("pk_notes", n => n.id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "notes");
}
