import type { IncomingMessage } from 'node:http';
import { type ClaimGrants, TokenVerifier } from 'livekit-server-sdk';

/** What the auth layer concluded about a request. */
export type AuthResult =
  /** Valid token (grants set), or no token at all (grants undefined): each endpoint checks its own grant. */
  | { ok: true; grants: ClaimGrants | undefined; apiKey: string | undefined }
  /** A plain-text 401, as the real middleware answers before any endpoint runs. */
  | { ok: false; message: string };

/** The real server accepts tokens up to a minute past `exp` (or before `nbf`): clocks drift. */
const CLOCK_LEEWAY_SECONDS = 60;

/**
 * The real server's API-key middleware: it runs on every path, before the
 * endpoints, and only rejects tokens that are present and wrong. A request
 * with no token goes on with no grants, and the endpoint refuses it (the agent
 * endpoint with 401, Twirp with `unauthenticated`).
 */
export class Authenticator {
  readonly #apiKey: string;
  readonly #verifier: TokenVerifier;

  constructor(apiKey: string, apiSecret: string) {
    this.#apiKey = apiKey;
    this.#verifier = new TokenVerifier(apiKey, apiSecret);
  }

  async authenticate(req: IncomingMessage, url: URL): Promise<AuthResult> {
    const header = req.headers.authorization;
    let token: string | null;
    // An empty header counts as none, as Go's Header.Get makes it on the real server.
    if (header) {
      // The prefix is matched exactly, case and single space included.
      if (!header.startsWith('Bearer ')) {
        return { ok: false, message: 'invalid authorization header. Must start with Bearer ' };
      }
      token = header.slice('Bearer '.length);
    } else {
      token = url.searchParams.get('access_token');
    }
    if (!token) return { ok: true, grants: undefined, apiKey: undefined };

    // Read the key id before verifying: it names the secret to verify with.
    const unverified = decodeUnverified(token);
    if (!unverified) return { ok: false, message: 'invalid authorization token' };
    if (unverified.iss !== this.#apiKey) return { ok: false, message: 'invalid API key' };
    try {
      const grants = await this.#verifier.verify(token, CLOCK_LEEWAY_SECONDS);
      return { ok: true, grants, apiKey: this.#apiKey };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `invalid authorization token: ${detail}` };
    }
  }
}

/** Header and payload of a compact JWS, unchecked; undefined unless it is HS256 with JSON parts. */
function decodeUnverified(token: string): { iss: unknown } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as {
      alg?: unknown;
    };
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as {
      iss?: unknown;
    };
    // The real server verifies HS256 only; jose alone would also take HS384/HS512.
    if (header.alg !== 'HS256' || typeof payload !== 'object' || payload === null) return undefined;
    return { iss: payload.iss };
  } catch {
    return undefined;
  }
}
