namespace QuayGateway.Persistence;

/// <summary>
/// Stands in for the gateway's GatewayDb, which this assembly cannot reference (the gateway references this one).
/// Scaffolded migrations say <c>[DbContext(typeof(GatewayDb))]</c>; the gateway matches them by full name.
/// </summary>
internal sealed class GatewayDb;
