// Verifies one JWT access token the way a resource server does, with jose (the JOSE library
// oidc-provider itself uses, pinned by package-lock.json): RS256 signature against the
// issuer's JWKS (fetched from its discovery document), iss, aud, typ at+jwt, exp and nbf.
//
// node verify_jwt.mjs --issuer URL [--audience URI]   (the token on stdin, never in argv)
//
// Prints the verified claims as JSON and exits 0, or prints the reason on stderr and exits 1.
// For an https issuer with a private CA, set NODE_EXTRA_CA_CERTS.
import fs from 'node:fs';
import process from 'node:process';

import { createRemoteJWKSet, jwtVerify } from 'jose';

const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const issuer = option('--issuer');
const audience = option('--audience');
if (!issuer) {
  process.stderr.write('verify_jwt: --issuer is required\n');
  process.exit(2);
}
try {
  const token = fs.readFileSync(0, 'utf8').trim();
  const discovery = await (await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`)).json();
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload } = await jwtVerify(token, jwks, {
    issuer, audience, typ: 'at+jwt', algorithms: ['RS256'],
  });
  process.stdout.write(`${JSON.stringify(payload)}\n`);
} catch (error) {
  process.stderr.write(`verify_jwt: ${error.code || ''} ${error.message}\n`);
  process.exit(1);
}
