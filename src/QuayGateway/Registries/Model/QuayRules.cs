using System.Text.RegularExpressions;

namespace QuayGateway.Registries.Model;

/// <summary>
/// Quay's own rules for usernames, organization names, passwords and emails, with Quay's message texts
/// (reference quay-app/NOTES.md), so the gateway refuses what Quay would refuse.
/// </summary>
public static partial class QuayRules
{
    public const string NamespacePattern = "^([a-z0-9]+(?:[._-][a-z0-9]+)*)$";

    [GeneratedRegex(NamespacePattern)]
    private static partial Regex Namespace();

    /// <summary>Quay's user table keeps at most this many characters of an email.</summary>
    public const int MaxEmailLength = 255;

    public static string? CheckUsername(string? name) =>
        string.IsNullOrEmpty(name) ? "The name is required."
        : !Namespace().IsMatch(name) ? $"Invalid namespace {name}: Namespace must match expression {NamespacePattern}"
        : name.Length is < 2 or > 255 ? $"Invalid namespace {name}: Namespace must be between 2 and 255 characters in length"
        : null;

    public static string? CheckPassword(string? password) =>
        password is null || password.Length < 8 || password.Any(char.IsWhiteSpace)
            ? "Invalid password, password must be at least 8 characters and contain no whitespace."
            : null;

    public static string? CheckEmail(string? email) =>
        email is null ? "Invalid email address: None"
        : email.Length > MaxEmailLength ? $"Invalid email address: longer than {MaxEmailLength} characters."
        : !IsEmail(email) ? $"Invalid email address: {email}"
        : null;

    /// <summary>
    /// Quay's email check, <c>^[^@\s]+@[^@\s]+\.[^@\s]+$</c>, in one pass: a backtracking regex takes quadratic time on
    /// <c>a@....…</c> with a space at the end. One <c>@</c> with something before it, no white space, and a dot in the
    /// domain with something on either side.
    /// </summary>
    public static bool IsEmail(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || email.IndexOf('@', at + 1) >= 0 || email.Any(char.IsWhiteSpace))
        {
            return false;
        }

        var domain = email.AsSpan(at + 1);
        var dot = domain.Length > 1 ? domain[1..].IndexOf('.') + 1 : 0;
        return dot > 0 && dot < domain.Length - 1;
    }

    /// <summary>What Quay's user/initialize would refuse, by field.</summary>
    public static Dictionary<string, string[]> CheckUser(string? username, string? password, string? email)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        AddIfFailed(errors, "username", CheckUsername(username));
        AddIfFailed(errors, "password", CheckPassword(password));
        AddIfFailed(errors, "email", CheckEmail(email));
        return errors;
    }

    /// <summary>What Quay's organization create would refuse, by field (the email is optional).</summary>
    public static Dictionary<string, string[]> CheckOrganization(string? name, string? email)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        AddIfFailed(errors, "name", CheckUsername(name));
        AddIfFailed(errors, "email", email is null ? null : CheckEmail(email));
        return errors;
    }

    private static void AddIfFailed(Dictionary<string, string[]> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = [message];
        }
    }
}
