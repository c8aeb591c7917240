using System.Text.Json.Serialization;

namespace QuayGateway.Hosting;

public static class JsonSetup
{
    /// <summary>
    /// Enums travel as their names (<c>"state": "Available"</c>), as the contract shows; a string with a NUL is refused
    /// (<see cref="TextGuard"/>).
    /// </summary>
    public static WebApplicationBuilder AddGatewayJson(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.Converters.Add(new TextGuard.NoNulStrings());
            // The document says additionalProperties: false; a typo such as "componets" must not build a default registry.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        return builder;
    }
}
