// The `/rtc` signalling at the wire: what the stand-in answers before and
// after the upgrade, read with a bare websocket and the protocol's messages,
// so each rule that rtc-node and livekit-client depend on is checked by itself.
import {
  AddTrackRequest,
  LeaveRequest,
  Ping,
  RequestResponse_Reason,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrackType,
  type TrickleRequest,
} from '@livekit/protocol';
import { AccessToken, type VideoGrant } from 'livekit-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LiveKitStandIn } from '../../src/livekit/index.js';
import { candidateAddress, isLoopbackCandidate } from '../../src/livekit/rtc/loopback.js';
import { scaledMs } from '../../src/time.js';

const WAIT_MS = scaledMs(15_000);
let server: LiveKitStandIn;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  server = await LiveKitStandIn.start();
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) {
    ws.on('error', () => {}); // terminating a socket still connecting reports an error
    ws.terminate();
  }
  await server.close();
});

async function token(grant: VideoGrant, identity = 'ann', secret = server.apiSecret) {
  const at = new AccessToken(server.apiKey, secret, { identity });
  at.addGrant(grant);
  return at.toJwt();
}

type Case = NonNullable<SignalResponse['message']['case']>;
type ValueOf<C extends Case> = Extract<SignalResponse['message'], { case: C }>['value'];

/** A signalling client that keeps every response, with a wait for the next one matching. */
class SignalClient {
  readonly responses: SignalResponse[] = [];
  #waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.responses.push(SignalResponse.fromBinary(data));
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(jwt: string): Promise<SignalClient> {
    const ws = new WebSocket(`${server.url}/rtc?access_token=${jwt}&protocol=16&auto_subscribe=1`);
    sockets.push(ws);
    const client = new SignalClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(message: SignalRequest['message']): void {
    this.ws.send(new SignalRequest({ message }).toBinary());
  }

  async next<C extends Case>(kind: C, after = 0): Promise<ValueOf<C>> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.responses.slice(after).find((r) => r.message.case === kind);
      if (found) return found.message.value as unknown as ValueOf<C>;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.responses.map((r) => r.message.case).join(', ');
        throw new Error(`no ${kind} response; seen: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('before the upgrade', () => {
  it('validate answers as the real server: success, or the status and reason to fix', async () => {
    const validate = async (jwt: string) => {
      const res = await fetch(`${server.httpUrl}/rtc/validate?access_token=${jwt}`);
      return `${res.status} ${await res.text()}`;
    };
    expect(await validate(await token({ roomJoin: true, room: 'r' }))).toBe('200 success');
    expect(await validate(await token({ roomJoin: false, room: 'r' }))).toBe(
      '401 permissions denied',
    );
    expect(await validate(await token({ roomJoin: true }))).toBe('400 no room name');
    expect(await validate(await token({ roomJoin: true, room: 'r' }, 'ann', 'wrong'))).toMatch(
      /^401 invalid authorization token/,
    );
    expect(await validate('')).toBe('401 no permissions to access the room');
  });

  it('answers the single-connection path with 404, which makes clients fall back to /rtc', async () => {
    const jwt = await token({ roomJoin: true, room: 'r' });
    expect((await fetch(`${server.httpUrl}/rtc/v1/validate?access_token=${jwt}`)).status).toBe(404);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.url}/rtc/v1?access_token=${jwt}`);
      sockets.push(ws);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
    });
    expect(status).toBe(404);
    expect(server.rooms()).toEqual([]);
  });
});

describe('a session', () => {
  it('starts with the join, then offers the subscriber connection with loopback candidates only', async () => {
    const client = await SignalClient.open(await token({ roomJoin: true, room: 'lobby' }));
    const join = await client.next('join');
    expect(client.responses[0]?.message.case).toBe('join');
    expect(join.participant?.sid).toMatch(/^PA_/);
    expect(join.participant?.identity).toBe('ann');
    expect(join.room?.sid).toMatch(/^RM_/);
    expect(join.room?.name).toBe('lobby');
    expect(join.pingInterval).toBeGreaterThan(0);
    expect(join.pingTimeout).toBeGreaterThan(join.pingInterval);
    expect(join.serverVersion).not.toBe('');
    expect(join.subscriberPrimary).toBe(true);

    const offer = await client.next('offer');
    expect(offer.type).toBe('offer');
    expect(offer.sdp).toMatch(/m=application .* webrtc-datachannel/);
    const trickle = await client.next('trickle');
    expect(trickle.target).toBe(SignalTarget.SUBSCRIBER);
    const candidate = JSON.parse(trickle.candidateInit) as Record<string, unknown>;
    // rtc-node parses these three fields strictly.
    expect(typeof candidate.sdpMid).toBe('string');
    expect(Number.isInteger(candidate.sdpMLineIndex)).toBe(true);
    // Every candidate the server announces, inline or trickled, is 127.0.0.1.
    const inline = offer.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    const trickled = client.responses
      .filter((r) => r.message.case === 'trickle')
      .map(
        (r) => JSON.parse((r.message.value as TrickleRequest).candidateInit).candidate as string,
      );
    for (const line of [...inline, ...trickled]) expect(candidateAddress(line)).toBe('127.0.0.1');
    expect(server.participants('lobby').map((p) => p.identity)).toEqual(['ann']);
  });

  it('answers pings, survives a malformed request, and a leave ends the participant', async () => {
    const client = await SignalClient.open(await token({ roomJoin: true, room: 'lobby' }));
    await client.next('join');
    client.ws.send(Buffer.from([0x0a, 0x7f])); // a length running past the end
    client.ws.send('not protobuf');
    const before = client.responses.length;
    client.send({ case: 'pingReq', value: new Ping({ timestamp: 1234n, rtt: 5n }) });
    const pong = await client.next('pongResp', before);
    expect(pong.lastPingTimestamp).toBe(1234n);
    client.send({ case: 'leave', value: new LeaveRequest({}) });
    await server.waitUntil(() => (server.participants('lobby').length === 0 ? true : undefined), {
      timeoutMs: WAIT_MS,
    });
  });

  it('publishes audio only: a video track is refused with the reason', async () => {
    const client = await SignalClient.open(await token({ roomJoin: true, room: 'lobby' }));
    await client.next('join');
    client.send({
      case: 'addTrack',
      value: new AddTrackRequest({ cid: 'cam', type: TrackType.VIDEO, name: 'camera' }),
    });
    const refused = await client.next('requestResponse');
    expect(refused.reason).toBe(RequestResponse_Reason.UNSUPPORTED_TYPE);
    expect(refused.message).toMatch(/audio only/);
    client.send({
      case: 'addTrack',
      value: new AddTrackRequest({ cid: 'mic', type: TrackType.AUDIO, name: 'microphone' }),
    });
    const published = await client.next('trackPublished');
    expect(published.cid).toBe('mic');
    expect(published.track?.sid).toMatch(/^TR_/);
  });
});

describe('loopback filter', () => {
  it('keeps only IPv4 loopback candidates from clients', () => {
    const line = (address: string) =>
      `candidate:1 1 udp 2122260223 ${address} 50000 typ host generation 0`;
    expect(isLoopbackCandidate(line('127.0.0.1'))).toBe(true);
    expect(isLoopbackCandidate(`a=${line('127.0.0.1')}`)).toBe(true);
    expect(isLoopbackCandidate(line('192.0.2.2'))).toBe(false);
    expect(isLoopbackCandidate(line('fd00::2'))).toBe(false);
    expect(isLoopbackCandidate(line('3f1a8c2e-1111-2222-3333-444455556666.local'))).toBe(false);
    expect(isLoopbackCandidate('garbage')).toBe(false);
  });
});
