// A real OpenID provider (the oidc-provider package) for nacos-tokend's end-to-end tests:
// client-credentials grant, JWT access tokens (RS256) for one resource (the default),
// opaque ones for resource urn:nacos:opaque, introspection (of opaque tokens: oidc-provider does
// not introspect JWTs), discovery at /.well-known/openid-configuration. See README.md.
//
// node provider.mjs --port-file F --clients FILE [--ttl SECONDS] [--audience URI]
//                   [--max-lifetime SECONDS] [--tls-cert PEM --tls-key PEM] [--ignore-stdin]
//                   [--port PORT] [--auth-methods client_secret_basic,client_secret_post]
//
// Listens on 127.0.0.1 on an ephemeral port (or --port, to come back where a stopped one was), written as "PORT\n" to the port file atomically
// once the provider answers. Exits when stdin closes (the parent's pipe; --ignore-stdin turns
// that off), when the parent process goes away, after --max-lifetime (default 900 s) and on
// SIGTERM/SIGINT. Client secrets come from the 0600 JSON file, never from argv.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import process from 'node:process';

import Provider, { errors } from 'oidc-provider';

const OPAQUE_RESOURCE = 'urn:nacos:opaque';

function usage(message) {
  process.stderr.write(`oidc provider: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = {
    ttl: 300, audience: 'urn:nacos:api', maxLifetime: 900, watchStdin: true, port: 0,
    authMethods: ['client_secret_basic', 'client_secret_post'],
  };
  const withValue = {
    '--port-file': (v) => { options.portFile = v; },
    '--clients': (v) => { options.clients = v; },
    '--ttl': (v) => { options.ttl = Number(v); },
    '--audience': (v) => { options.audience = v; },
    '--max-lifetime': (v) => { options.maxLifetime = Number(v); },
    '--tls-cert': (v) => { options.tlsCert = v; },
    '--tls-key': (v) => { options.tlsKey = v; },
    '--port': (v) => { options.port = Number(v); },
    '--auth-methods': (v) => { options.authMethods = v.split(','); },
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--ignore-stdin') {
      options.watchStdin = false;
    } else if (withValue[arg]) {
      if (i + 1 >= argv.length) usage(`${arg}: missing value`);
      withValue[arg](argv[i += 1]);
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (!options.portFile || !options.clients) usage('--port-file and --clients are required');
  if (!Number.isInteger(options.ttl) || options.ttl < 1) usage('--ttl: expected seconds >= 1');
  if (!(options.maxLifetime > 0)) usage('--max-lifetime: expected seconds > 0');
  if (!options.tlsCert !== !options.tlsKey) usage('--tls-cert and --tls-key go together');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) usage('--port: expected 0-65535');
  for (const m of options.authMethods) {
    if (!['client_secret_basic', 'client_secret_post'].includes(m)) usage(`--auth-methods: unsupported ${m}`);
  }
  return options;
}

// [{client_id, client_secret, token_endpoint_auth_method}], methods client_secret_basic|post.
function readClients(file) {
  const list = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(list) || list.length === 0) usage('--clients: expected a non-empty array');
  return list.map((client) => {
    const method = client.token_endpoint_auth_method || 'client_secret_basic';
    if (!['client_secret_basic', 'client_secret_post'].includes(method)) {
      usage(`--clients: unsupported token_endpoint_auth_method ${method}`);
    }
    if (!client.client_id || !client.client_secret) usage('--clients: id and secret required');
    return {
      client_id: client.client_id,
      client_secret: client.client_secret,
      token_endpoint_auth_method: method,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    };
  });
}

function writePortFile(file, port) {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temp, `${port}\n`, { mode: 0o644 });
  fs.renameSync(temp, file);
}

function stopWhenOrphaned(options, server) {
  const stop = (why) => {
    process.stderr.write(`oidc provider: stopping (${why})\n`);
    server.close();
    process.exit(0);
  };
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) stop('parent gone'); }, 500);
  setTimeout(() => stop('max lifetime'), options.maxLifetime * 1000);
  if (options.watchStdin) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin closed'));
    process.stdin.resume();
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function makeProvider(issuer, options, clients) {
  // A fresh signing key per run; its public half is what /jwks publishes.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
  const jwtServer = {
    scope: 'nacos',
    audience: options.audience,
    accessTokenFormat: 'jwt',
    accessTokenTTL: options.ttl,
    jwt: { sign: { alg: 'RS256' } },
  };
  // oidc-provider refuses to introspect structured (JWT) tokens ("Structured JWT Tokens cannot
  // be introspected"), so introspection is exercised with opaque tokens for a second resource.
  const opaqueServer = {
    scope: 'nacos', audience: OPAQUE_RESOURCE, accessTokenFormat: 'opaque', accessTokenTTL: options.ttl,
  };
  return new Provider(issuer, {
    clients,
    clientAuthMethods: options.authMethods,
    jwks: { keys: [jwk] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      // JWT access tokens exist only for a resource server; every token is for the one given.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.audience,
        useGrantedResource: () => true,
        // --audience urn:nacos:opaque makes the default resource's tokens opaque.
        getResourceServerInfo: (ctx, indicator) => {
          if (indicator === OPAQUE_RESOURCE) return opaqueServer;
          if (indicator === options.audience) return jwtServer;
          throw new errors.InvalidTarget();
        },
      },
    },
    ttl: { ClientCredentials: options.ttl },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'nacos'],
  });
}

const options = parseArgs(process.argv.slice(2));
const clients = readClients(options.clients);
const tls = options.tlsCert
  ? { cert: fs.readFileSync(options.tlsCert), key: fs.readFileSync(options.tlsKey) }
  : null;
const server = tls ? https.createServer(tls) : http.createServer();
stopWhenOrphaned(options, server);
server.on('error', (error) => usage(`cannot listen: ${error.message}`));
server.listen(options.port, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const provider = makeProvider(issuer, options, clients);
  // oidc-provider 8 accepts either secret method from any client whatever it advertises; with
  // --auth-methods the token endpoint refuses a method that discovery does not list, so a test
  // sees which one a client used.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const basic = /^basic /i.test(ctx.get('authorization'));
      const method = basic ? 'client_secret_basic' : 'client_secret_post';
      if (!options.authMethods.includes(method)) {
        ctx.status = 401;
        ctx.body = { error: 'invalid_client', error_description: `${method} is not accepted here` };
        return;
      }
    }
    await next();
  });
  provider.on('server_error', (ctx, error) => process.stderr.write(`oidc provider: ${error.message}\n`));
  server.on('request', provider.callback());
  writePortFile(options.portFile, port);
  process.stderr.write(`oidc provider: issuer ${issuer}\n`);
});
