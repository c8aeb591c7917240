using System.Net.Mail;
using System.Text.RegularExpressions;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>Quay's validation rules for namespaces (users and organizations), passwords and e-mail addresses.</summary>
internal static partial class QuayNames
{
    private const string NamespacePattern = "^([a-z0-9]+(?:[._-][a-z0-9]+)*)$";

    public const string InvalidPasswordMessage =
        "Invalid password, password must be at least 8 characters and contain no whitespace.";

    /// <summary>The data model's message for an invalid namespace, or null when the name is valid.</summary>
    public static string? NamespaceProblem(string name)
    {
        if (!NamespaceRegex().IsMatch(name))
        {
            return $"Invalid namespace {name}: Namespace must match expression {NamespacePattern}";
        }

        return name.Length is < 2 or > 255
            ? $"Invalid namespace {name}: Namespace must be between 2 and 255 characters in length"
            : null;
    }

    public static bool IsValidPassword(string password) => password.Length >= 8 && !password.Any(char.IsWhiteSpace);

    public static bool IsValidEmail(string? email)
    {
        if (string.IsNullOrEmpty(email) || !EmailShapeRegex().IsMatch(email))
        {
            return false;
        }

        return MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;
    }

    [GeneratedRegex(NamespacePattern)]
    private static partial Regex NamespaceRegex();

    // Like the email_validator library Quay uses: one @, a non-empty local part and a dotted domain.
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s.]+$")]
    private static partial Regex EmailShapeRegex();
}
