using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ReferenceService.Notes;

/// <summary>The notes API, on EF Core: every endpoint needs the database (503 with Retry-After while it is away).</summary>
internal static class NoteEndpoints
{
    public static RouteGroupBuilder MapNotes(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/notes").RequireDatabase();
        api.MapPost("", CreateAsync);
        api.MapGet("", ListAsync);
        return api;
    }

    private static async Task<Results<Created<Note>, ValidationProblem>> CreateAsync(NewNote request, NotesDb db, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Text) || request.Text.Length > 500)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = ["is required, at most 500 characters"] });
        }

        var note = new Note { Text = request.Text.Trim(), CreatedAt = time.GetUtcNow() };
        db.Notes.Add(note);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/notes/{note.Id}", note);
    }

    private static async Task<Ok<List<Note>>> ListAsync(NotesDb db, CancellationToken ct) =>
        TypedResults.Ok(await db.Notes.AsNoTracking().OrderByDescending(n => n.Id).Take(20).ToListAsync(ct));

    internal sealed record NewNote(string? Text);
}
