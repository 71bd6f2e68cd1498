using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace ReferenceService.Notes.Migrations;

/// <summary>The model as the migrations leave it (as 'dotnet ef' maintains it), so EF sees no pending model changes.</summary>
[DbContext(typeof(NotesDb))]
public sealed class NotesDbModelSnapshot : ModelSnapshot
{
    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.HasAnnotation("ProductVersion", "10.0.3").HasAnnotation("Relational:MaxIdentifierLength", 63);
        modelBuilder.UseIdentityByDefaultColumns();
        modelBuilder.Entity("ReferenceService.Notes.Note", b =>
        {
            b.Property<long>("Id").ValueGeneratedOnAdd().HasColumnType("bigint").HasColumnName("id");
            b.Property<long>("Id").UseIdentityByDefaultColumn();
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("Text").IsRequired().HasMaxLength(500).HasColumnType("character varying(500)").HasColumnName("text");
            b.HasKey("Id");
            b.ToTable("notes");
        });
    }
}
