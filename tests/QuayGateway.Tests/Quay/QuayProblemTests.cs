using QuayGateway.Quay;

namespace QuayGateway.Tests.Quay;

/// <summary>How Quay's answers (bodies from wire-examples.json) become the gateway's problems.</summary>
public sealed class QuayProblemTests
{
    [Theory]
    [InlineData(403, """{"error": "CSRF token was invalid or missing."}""", 409, "quay-token-expired")]
    [InlineData(401, """{"detail":"Requires authentication","error_message":"Requires authentication","error_type":"invalid_token","title":"invalid_token","type":"x","status":401}""", 409, "quay-token-expired")]
    [InlineData(403, """{"detail":"Unauthorized","error_message":"Unauthorized","error_type":"insufficient_scope","title":"insufficient_scope","type":"x","status":403}""", 403, "quay-rejected")]
    [InlineData(400, """{"detail":"A user or organization with this name already exists","error_type":"invalid_request","status":400}""", 400, "quay-rejected")]
    [InlineData(404, """{"detail":"Not Found","error_type":"not_found","status":404}""", 404, "quay-rejected")]
    [InlineData(500, "<html>Internal Server Error</html>", 502, "quay-error")]
    [InlineData(429, """{"message":"slow down"}""", 502, "quay-error")]
    public void Answers_map_to_problems(int quayStatus, string body, int status, string type)
    {
        var problem = QuayProblem.FromAnswer(new QuayAnswer(quayStatus, body), "do it");

        Assert.Equal((status, "https://quaygateway.dev/problems/" + type), (problem.Status, problem.Type));
        Assert.Equal(quayStatus, problem.Quay!.Status);
    }

    [Theory]
    [InlineData("""{"message":"Cannot initialize user in a non-empty database"}""", "Cannot initialize user in a non-empty database")]
    [InlineData("""{"detail":"Not Found","error_message":"Not Found"}""", "Not Found")]
    [InlineData("""{"error": "CSRF token was invalid or missing."}""", "CSRF token was invalid or missing.")]
    [InlineData("\"Created\"\n", "\"Created\"")]
    public void Quays_message_is_read_from_each_of_its_body_shapes(string body, string message) =>
        Assert.Equal(message, new QuayAnswer(400, body).Message);

    [Fact]
    public void No_answer_is_a_timeout_or_unreachable()
    {
        Assert.Equal(504, QuayProblem.FromCallFailure(new QuayCallException("late", timedOut: true, maybeDelivered: true)).Status);
        Assert.Equal(502, QuayProblem.FromCallFailure(new QuayCallException("refused", timedOut: false, maybeDelivered: false)).Status);
    }
}
