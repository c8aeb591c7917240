// A real OpenID Connect provider (node-oidc-provider) for the gateway's tests, on loopback.
// Usage: node provider.mjs '<json>' where json is {"redirectUris":["http://127.0.0.1:P/signin-oidc", ...],
//   "postLogoutRedirectUris":["http://127.0.0.1:P/signout-callback-oidc"], "swaggerRedirectUris":[...]}.
// Prints one JSON line with the issuers, then serves until stdin closes:
//   issuer    the provider the gateway trusts (http://localhost:<port>, another host name than the gateway's 127.0.0.1)
//   impostor  same issuer name and key id, but its own signing key (tokens it signs are wrongly signed)
//   other     another issuer altogether
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2] ?? '{}');
const audience = options.audience ?? 'quay-gateway';
const allScopes = 'registries:read registries:write quay:admin webhooks:admin admin platform:admin';

// Machine clients (client credentials) and people (the code flow), each with the claims the gateway is told to read:
// org (the tenant) and permissions (space-separated scopes).
const machines = {
  'acme-portal': { org: 'oidc-acme', permissions: 'registries:read registries:write' },
  'acme-reader': { org: 'oidc-acme', permissions: 'registries:read' },
  'expiring': { org: 'oidc-acme', permissions: 'registries:read', ttl: 1 },
  'wrong-audience': { org: 'oidc-acme', permissions: 'registries:read', audience: 'someone-else' },
  'no-tenant': { permissions: 'registries:read' },
};
const people = {
  alice: { org: 'oidc-acme', permissions: 'registries:read registries:write' },
  root: { org: 'default', permissions: 'platform:admin' },
  bob: { org: 'oidc-bob', permissions: 'registries:read' },
};

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'signing', use: 'sig', alg: 'RS256' };
}

function claimsOf(token) {
  const source = token.accountId ? people[token.accountId] : machines[token.clientId];
  if (!source) return {};
  const claims = { permissions: source.permissions };
  if (source.org) claims.org = source.org;
  return claims;
}

function configuration(issuer) {
  const clients = Object.keys(machines).map((id) => ({
    client_id: id, client_secret: `${id}-secret`, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  }));
  clients.push({
    client_id: 'gateway', client_secret: 'gateway-secret', grant_types: ['authorization_code'], response_types: ['code'],
    redirect_uris: options.redirectUris ?? [], token_endpoint_auth_method: 'client_secret_post',
    // RP-initiated logout: where the provider may send the browser back after signing the person out.
    post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
  });
  // Swagger UI: a public client (PKCE, no secret).
  clients.push({
    client_id: 'swagger-ui', grant_types: ['authorization_code'], response_types: ['code'],
    redirect_uris: options.swaggerRedirectUris ?? [], token_endpoint_auth_method: 'none',
  });
  return {
    clients,
    jwks: { keys: [signingKey()] },
    cookies: { keys: ['quaygateway-test-cookie-key'] },
    claims: { openid: ['sub', 'org', 'permissions'] },
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', ...allScopes.split(' ')],
    pkce: { required: () => true },
    // Swagger UI exchanges the code from the gateway's page, a cross-origin fetch: as with any provider, the public
    // client's web origin (the gateway's) must be allowed.
    clientBasedCORS: (ctx, origin, client) => client.clientId === 'swagger-ui'
      && (options.swaggerRedirectUris ?? []).some((uri) => new URL(uri).origin === origin),
    findAccount: (ctx, id) => people[id] && {
      accountId: id,
      claims: () => ({ sub: id, ...people[id] }),
    },
    extraTokenClaims: (ctx, token) => claimsOf(token),
    ttl: {
      ClientCredentials: (ctx, token, client) => machines[client.clientId]?.ttl ?? 600,
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600,
    },
    features: {
      clientCredentials: { enabled: true },
      // RP-initiated logout (end_session_endpoint), with the provider's confirmation page; on unless told otherwise,
      // so a test can also meet a provider that offers no sign-out.
      rpInitiatedLogout: { enabled: options.rpInitiatedLogout ?? true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:quay-gateway',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => ({
          scope: allScopes,
          audience: machines[client.clientId]?.audience ?? audience,
          accessTokenTTL: machines[client.clientId]?.ttl ?? 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  };
}

function listen(provider, port) {
  return new Promise((resolve) => {
    const server = provider.listen(port ?? 0, '127.0.0.1', () => resolve(server.address().port));
  });
}


const { createServer } = await import('node:net');
function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const port = await freePort();
const issuer = `http://localhost:${port}`;
const trusted = new Provider(issuer, configuration(issuer));
await listen(trusted, port);

const impostor = new Provider(issuer, configuration(issuer));
const impostorPort = await listen(impostor);

const otherPort = await freePort();
const otherIssuer = `http://localhost:${otherPort}`;
await listen(new Provider(otherIssuer, configuration(otherIssuer)), otherPort);

process.stdout.write(JSON.stringify({ issuer, impostor: `http://127.0.0.1:${impostorPort}`, other: otherIssuer }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
