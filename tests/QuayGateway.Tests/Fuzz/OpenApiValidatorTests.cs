using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Fuzz;

/// <summary>The validator finds what a document does not promise, and accepts what it does (OpenAPI 3.0's dialect included).</summary>
public sealed class OpenApiValidatorTests
{
    private static readonly JsonNode Document = JsonNode.Parse("""
        {
          "openapi": "3.0.4",
          "paths": {
            "/things/{id}": {
              "get": {
                "responses": {
                  "200": {
                    "description": "OK",
                    "headers": { "ETag": { "required": true, "schema": { "type": "string" } } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Thing" } } }
                  },
                  "204": { "description": "No content" }
                }
              }
            }
          },
          "components": {
            "schemas": {
              "Thing": {
                "required": ["id", "count"],
                "type": "object",
                "properties": {
                  "id": { "type": "string", "format": "uuid" },
                  "count": { "type": "integer", "format": "int32" },
                  "note": { "type": "string", "nullable": true },
                  "owner": { "$ref": "#/components/schemas/Owner" }
                },
                "additionalProperties": false
              },
              "Owner": { "type": "object", "properties": { "name": { "type": "string" } }, "nullable": true }
            }
          }
        }
        """)!;

    private static readonly Dictionary<string, string> ETag = new() { ["ETag"] = "\"1\"" };

    private static IReadOnlyList<string> Check(int status, string? contentType, string? body, IReadOnlyDictionary<string, string>? headers = null) =>
        OpenApiValidator.Check(Document, "/things/{id}", "get", status, contentType, body, headers ?? ETag);

    [Fact]
    public void An_answer_as_documented_has_no_violations()
    {
        Assert.Empty(Check(200, "application/json; charset=utf-8", """{"id":"0190a5d0-0000-7000-8000-000000000001","count":3,"note":null,"owner":null}"""));
        Assert.Empty(Check(204, null, ""));
    }

    [Theory]
    [InlineData("""{"count":3}""", "id")]
    [InlineData("""{"id":"0190a5d0-0000-7000-8000-000000000001","count":"3"}""", "/count")]
    [InlineData("""{"id":"not-a-uuid","count":3}""", "/id")]
    [InlineData("""{"id":"0190a5d0-0000-7000-8000-000000000001","count":3000000000}""", "/count")]
    [InlineData("""{"id":"0190a5d0-0000-7000-8000-000000000001","count":3,"extra":1}""", "extra")]
    [InlineData("""{"id":"0190a5d0-0000-7000-8000-000000000001","count":3,"owner":{"name":7}}""", "/owner/name")]
    [InlineData("""not json""", "not JSON")]
    public void A_body_off_its_schema_is_a_violation(string body, string mentioned)
    {
        var violations = Check(200, "application/json", body);

        Assert.Contains(violations, v => v.Contains(mentioned, StringComparison.Ordinal));
    }

    [Fact]
    public void An_undocumented_status_media_type_body_or_missing_header_is_a_violation()
    {
        const string Body = """{"id":"0190a5d0-0000-7000-8000-000000000001","count":3}""";
        Assert.Contains("not documented", Assert.Single(Check(201, "application/json", Body)), StringComparison.Ordinal);
        Assert.Contains("text/html", Assert.Single(Check(200, "text/html", Body)), StringComparison.Ordinal);
        Assert.Contains("no body", Assert.Single(Check(204, "application/json", Body)), StringComparison.Ordinal);
        Assert.Contains("ETag", Assert.Single(Check(200, "application/json", Body, new Dictionary<string, string>())), StringComparison.Ordinal);
        Assert.Contains("not in the document", Assert.Single(OpenApiValidator.Check(Document, "/nothing", "get", 200, null, null)), StringComparison.Ordinal);
    }
}
