namespace ReferenceService.Notes;

/// <summary>A short note: the reference service's EF Core path.</summary>
public sealed class Note
{
    public long Id { get; set; }

    public string Text { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
