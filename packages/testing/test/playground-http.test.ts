import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveKitStandIn } from '../src/index.js';

describe('the playground on the LiveKit stand-in', () => {
  let server: LiveKitStandIn;

  beforeAll(async () => {
    server = await LiveKitStandIn.start({ port: 0 });
  });

  afterAll(async () => {
    await server.close();
  });

  it('serves the page and its scripts without a token', async () => {
    for (const path of ['/playground', '/playground/']) {
      const page = await fetch(`${server.httpUrl}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('/playground/livekit-client.umd.js');
      expect(html).toContain('/playground/playground.js');
    }
    const client = await fetch(`${server.httpUrl}/playground/livekit-client.umd.js`);
    expect(client.status).toBe(200);
    expect(await client.text()).toContain('LivekitClient');
    const script = await fetch(`${server.httpUrl}/playground/playground.js`);
    expect(await script.text()).toContain('window.playground');
  });

  it('is served before the auth check, which would refuse a bad header', async () => {
    const page = await fetch(`${server.httpUrl}/playground`, {
      headers: { Authorization: 'Basic nope' },
    });
    expect(page.status).toBe(200);
    await page.arrayBuffer();
  });

  it('mints a join token for the room and identity asked, signed with the server key', async () => {
    const res = await fetch(`${server.httpUrl}/playground/token?room=kitchen&identity=ada`);
    expect(res.status).toBe(200);
    // Other web pages in the same browser must not be able to read it.
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const { token } = (await res.json()) as { token: string };
    const grants = await new TokenVerifier(server.apiKey, server.apiSecret).verify(token);
    expect(grants.sub).toBe('ada');
    expect(grants.video).toMatchObject({
      roomJoin: true,
      room: 'kitchen',
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
  });

  it('says what is missing from a token request, and 404s unknown files', async () => {
    const noIdentity = await fetch(`${server.httpUrl}/playground/token?room=kitchen`);
    expect(noIdentity.status).toBe(400);
    expect(await noIdentity.text()).toContain('give an identity');
    const noRoom = await fetch(`${server.httpUrl}/playground/token?identity=ada`);
    expect(noRoom.status).toBe(400);
    expect(await noRoom.text()).toContain('give a room name');
    const missing = await fetch(`${server.httpUrl}/playground/../package.json`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    const unknown = await fetch(`${server.httpUrl}/playground/secret.txt`);
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
  });

  it('answers only GET', async () => {
    const res = await fetch(`${server.httpUrl}/playground/token?room=r&identity=i`, {
      method: 'POST',
    });
    expect(res.status).toBe(405);
    await res.arrayBuffer();
  });
});
