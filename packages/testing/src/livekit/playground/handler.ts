import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';

/** The page's files, by the path under `/playground/`. */
const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'playground.js': { file: 'playground.js', type: 'text/javascript; charset=utf-8' },
  'playground.css': { file: 'playground.css', type: 'text/css; charset=utf-8' },
};

const CLIENT_BUNDLE = 'livekit-client.umd.js';

/** The real server's limits on both, so a token from here is one it would take too. */
const MAX_NAME_LENGTH = 128;

const TOKEN_TTL = '6h';

/**
 * A browser page, served by the stand-in itself, that joins a room with
 * livekit-client, publishes the microphone and plays what the agent says:
 * open `/playground` to talk to an agent with no cloud.
 *
 * `/playground/token` mints join tokens with the stand-in's own key and secret
 * for anyone who asks. That is what a local stand-in is for (it listens on
 * loopback by default and its dev secret is public); a real server never
 * hands out tokens like this.
 */
export class Playground {
  readonly #apiKey: string;
  readonly #apiSecret: string;
  #dir: string | undefined;
  #clientPath: string | undefined;

  constructor(options: { apiKey: string; apiSecret: string }) {
    this.#apiKey = options.apiKey;
    this.#apiSecret = options.apiSecret;
  }

  static handles(pathname: string): boolean {
    return pathname === '/playground' || pathname.startsWith('/playground/');
  }

  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'GET only');
    }
    const name = url.pathname.replace(/^\/playground\/?/, '');
    if (name === 'token') return this.#token(res, url);
    if (name === CLIENT_BUNDLE) {
      this.#clientPath ??= createRequire(import.meta.url).resolve('livekit-client');
      return send(res, 200, 'text/javascript; charset=utf-8', await readFile(this.#clientPath));
    }
    const entry = STATIC_FILES[name];
    if (!entry) return send(res, 404, 'text/plain; charset=utf-8', '404 page not found');
    this.#dir ??= staticDir();
    send(res, 200, entry.type, await readFile(join(this.#dir, entry.file)));
  }

  async #token(res: ServerResponse, url: URL): Promise<void> {
    // Only the page itself may ask: the front allows every origin, and any web page could
    // otherwise mint tokens for this server from the user's browser.
    res.removeHeader('Access-Control-Allow-Origin');
    const room = url.searchParams.get('room')?.trim() ?? '';
    const identity = url.searchParams.get('identity')?.trim() ?? '';
    const problem =
      (!room && 'give a room name: /playground/token?room=<name>&identity=<you>') ||
      (!identity && 'give an identity: /playground/token?room=<name>&identity=<you>') ||
      ((room.length > MAX_NAME_LENGTH || identity.length > MAX_NAME_LENGTH) &&
        `room name and identity are at most ${MAX_NAME_LENGTH} characters`);
    if (problem) return send(res, 400, 'text/plain; charset=utf-8', problem);
    const token = new AccessToken(this.#apiKey, this.#apiSecret, { identity, ttl: TOKEN_TTL });
    token.addGrant({
      roomJoin: true,
      room,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    const body = JSON.stringify({ token: await token.toJwt(), room, identity });
    send(res, 200, 'application/json', body, { 'Cache-Control': 'no-store' });
  }
}

/**
 * tsc copies no assets, so from `dist/livekit/playground/` the page is read
 * where the package ships it: `src/livekit/playground/static/`.
 */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'static'),
    join(here, '..', '..', '..', 'src', 'livekit', 'playground', 'static'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) {
    throw new Error(`the playground page is missing: looked in ${candidates.join(' and ')}`);
  }
  return found;
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
