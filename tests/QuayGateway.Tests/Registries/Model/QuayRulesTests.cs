using System.Text.RegularExpressions;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Registries.Model;

public sealed class QuayRulesTests
{
    // Quay's own pattern, which the one-pass check replaces.
    private static readonly Regex QuayEmail = new(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.None, TimeSpan.FromMinutes(1));

    [Fact]
    public void The_email_check_agrees_with_quays_pattern()
    {
        // Every string of up to six characters over the alphabet that matters, and random longer ones.
        const string alphabet = "a@. ";
        var random = new Random(20261204);
        var samples = Enumerable.Range(1, 6).SelectMany(All)
            .Concat(Enumerable.Range(0, 20_000).Select(_ => new string([.. Enumerable.Range(0, random.Next(7, 20)).Select(_ => alphabet[random.Next(4)])])));

        foreach (var email in samples)
        {
            Assert.True(QuayEmail.IsMatch(email) == QuayRules.IsEmail(email), $"'{email}'");
        }

        static IEnumerable<string> All(int length) => length == 0
            ? [""]
            : All(length - 1).SelectMany(prefix => alphabet.Select(c => prefix + c));
    }

    [Fact]
    public async Task The_email_check_takes_linear_time_on_the_backtracking_input()
    {
        var email = "a@" + new string('.', 200_000) + " ";

        // A hang guard, not a timing: the backtracking pattern needs billions of steps here.
        var isEmail = await Task.Run(() => QuayRules.IsEmail(email)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(isEmail);
    }

    [Fact]
    public void A_long_email_is_refused_without_echoing_it()
    {
        var email = new string('a', 300) + "@example.com";

        var error = QuayRules.CheckEmail(email);

        Assert.NotNull(error);
        Assert.DoesNotContain(email, error, StringComparison.Ordinal);
        Assert.Null(QuayRules.CheckEmail("quayadmin@example.com"));
    }
}
