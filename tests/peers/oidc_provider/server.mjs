// A second, independent OpenID provider for nbauth's tests: panva's oidc-provider 9 on 127.0.0.1.
//
//   node server.mjs [PORT] [--exit-with-stdin]      (PORT 0 or absent: a random free port)
//
// When listening it prints exactly one JSON line on stdout:
//   {"issuer": "http://127.0.0.1:<port>", "port": <port>}
// and nothing else goes to stdout (the library's notices are sent to stderr), so a driver can
// read that line and then stop reading. With --exit-with-stdin it exits when stdin closes, so
// a test run that dies never leaves a node process behind.
//
// Environment: ACCESS_TOKEN_TTL, ID_TOKEN_TTL, REFRESH_TOKEN_TTL, DEVICE_CODE_TTL (seconds;
// defaults 3600, 3600, 86400, 600), PORT (when no argument), CONFIDENTIAL_CLIENT_SECRET.
//
// Test-only by design: the built-in development login/consent pages accept any login name
// with any password, keys live in memory, and a restart forgets every grant.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';

// oidc-provider prints its development notices with console.info (stdout); stdout is reserved
// for the ready line.
console.info = (...args) => console.error(...args);
console.log = (...args) => console.error(...args);

const { default: Provider } = await import('oidc-provider');

function seconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number of seconds, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const ttl = {
  accessToken: seconds('ACCESS_TOKEN_TTL', 3600),
  idToken: seconds('ID_TOKEN_TTL', 3600),
  refreshToken: seconds('REFRESH_TOKEN_TTL', 86400),
  deviceCode: seconds('DEVICE_CODE_TTL', 600),
};

const args = process.argv.slice(2);
const exitWithStdin = args.includes('--exit-with-stdin');
const portArg = args.find((a) => !a.startsWith('--')) ?? process.env.PORT ?? '0';
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`port must be 0..65535, got ${JSON.stringify(portArg)}`);
}

// A fresh RS256 signing key for every start.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
// Native clients match any port on a loopback redirect URI (RFC 8252 section 7.3).
const LOOPBACK_CALLBACK = 'http://127.0.0.1/callback';

function configuration() {
  return {
    clients: [
      {
        client_id: 'nbauth-native',
        client_name: 'nbauth (test)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        response_types: ['code'],
        redirect_uris: [LOOPBACK_CALLBACK],
        post_logout_redirect_uris: [LOOPBACK_CALLBACK],
      },
      {
        client_id: 'nbauth-confidential',
        client_secret: process.env.CONFIDENTIAL_CLIENT_SECRET || 'nbauth-confidential-secret',
        client_name: 'nbauth confidential (test)',
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        response_types: ['code'],
        redirect_uris: [LOOPBACK_CALLBACK],
        post_logout_redirect_uris: [LOOPBACK_CALLBACK],
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },

    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // Put the scope's claims in the ID token as well (Google, Okta, Entra do the same); by
    // default oidc-provider keeps them for userinfo only when an access token is issued.
    conformIdTokenClaims: false,
    // Any login name is an account; its sub is the login name.
    async findAccount(_ctx, accountId) {
      return {
        accountId,
        async claims() {
          return {
            sub: accountId,
            email: `${accountId}@example.com`,
            email_verified: true,
            name: accountId.charAt(0).toUpperCase() + accountId.slice(1),
            preferred_username: accountId,
          };
        },
      };
    },

    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true }, // oidc-provider 9 supports S256 only
    // Refresh tokens whenever offline_access was granted, whatever the grant (code or device).
    async issueRefreshToken(_ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: () => ttl.accessToken,
      IdToken: () => ttl.idToken,
      RefreshToken: () => ttl.refreshToken,
      DeviceCode: () => ttl.deviceCode,
      AuthorizationCode: () => 60,
      Interaction: () => 600,
      Session: () => 86400,
      Grant: () => Math.max(ttl.refreshToken, 86400),
    },
  };
}

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const actualPort = server.address().port;
  const issuer = `http://127.0.0.1:${actualPort}`;
  const provider = new Provider(issuer, configuration());
  // Quiet: one line per unexpected error, no request details (they may carry tokens).
  provider.on('server_error', (_ctx, err) => console.error(`server_error: ${err?.message}`));
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, port: actualPort })}\n`);
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (exitWithStdin) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
