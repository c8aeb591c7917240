using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace QuayGateway.Hosting;

public static class JsonSetup
{
    /// <summary>
    /// Enums travel as their names (<c>"state": "Available"</c>), as the contract shows; request strings are single-line and bounded
    /// unless their property says otherwise (<see cref="TextGuard"/>).
    /// </summary>
    public static WebApplicationBuilder AddGatewayJson(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.Converters.Add(new TextGuard.ItemStrings());
            o.SerializerOptions.Converters.Add(new TextGuard.NoNulElements());
            o.SerializerOptions.TypeInfoResolver = (o.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(TextGuard.ApplyStringRules);
            // The document says additionalProperties: false; a typo such as "componets" must not build a default registry.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        return builder;
    }
}
