using Microsoft.EntityFrameworkCore;

namespace ReferenceService.Notes;

/// <summary>The notes, through EF Core on Holdfast's data source (UseHoldfast); its schema comes from migrations.</summary>
public sealed class NotesDb(DbContextOptions<NotesDb> options) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Note>(note =>
    {
        note.ToTable("notes");
        note.Property(n => n.Id).HasColumnName("id");
        note.Property(n => n.Text).HasColumnName("text").HasMaxLength(500);
        note.Property(n => n.CreatedAt).HasColumnName("created_at");
    });
}
