// Twirp RoomService and AgentDispatchService, driven by livekit-server-sdk's
// own clients (JSON) and by hand (protobuf, error cases).
import {
  CreateRoomRequest,
  JobStatus,
  JobType,
  ParticipantInfo_State,
  Room,
} from '@livekit/protocol';
import {
  AccessToken,
  AgentDispatchClient,
  RoomServiceClient,
  TwirpError,
  type VideoGrant,
} from 'livekit-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn } from '../src/livekit/index.js';
import { TestWorker } from './fixtures/livekit/test-worker.js';

let server: LiveKitStandIn;
let rooms: RoomServiceClient;
let dispatch: AgentDispatchClient;
const workers: TestWorker[] = [];

beforeEach(async () => {
  server = await LiveKitStandIn.start({ dispatchLeaveTimeoutMs: 100 });
  rooms = new RoomServiceClient(server.url, 'devkey', 'secret');
  dispatch = new AgentDispatchClient(server.url, 'devkey', 'secret');
});

afterEach(async () => {
  for (const worker of workers.splice(0)) worker.close();
  await server.close();
});

async function token(grant: VideoGrant, secret = 'secret'): Promise<string> {
  const at = new AccessToken('devkey', secret);
  at.addGrant(grant);
  return at.toJwt();
}

/** A raw Twirp call; resolves with the HTTP answer. */
async function twirp(
  method: string,
  body: string | Uint8Array,
  options: { grant?: VideoGrant; contentType?: string; httpMethod?: string; auth?: string } = {},
): Promise<Response> {
  const auth = options.auth ?? `Bearer ${await token(options.grant ?? { roomCreate: true })}`;
  return fetch(`${server.httpUrl}/twirp/${method}`, {
    method: options.httpMethod ?? 'POST',
    headers: { Authorization: auth, 'Content-Type': options.contentType ?? 'application/json' },
    body: options.httpMethod === 'GET' ? undefined : body,
  });
}

async function caught(promise: Promise<unknown>): Promise<TwirpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TwirpError);
  return error as TwirpError;
}

describe('RoomService through RoomServiceClient', () => {
  it('creates, lists and deletes rooms; CreateRoom requests the room job', async () => {
    const { worker } = await TestWorker.register(server.url);
    workers.push(worker);
    const room = await rooms.createRoom({ name: 'api-room', metadata: 'm', emptyTimeout: 60 });
    expect(room).toMatchObject({
      name: 'api-room',
      metadata: 'm',
      emptyTimeout: 60,
      departureTimeout: 20,
    });
    expect(room.sid).toMatch(/^RM_/);
    expect(room.enabledCodecs.map((c) => c.mime)).toContain('audio/opus');
    expect((await worker.next('availability')).job?.room?.sid).toBe(room.sid);
    // Get-or-create: the same room back, no second job.
    expect((await rooms.createRoom({ name: 'api-room' })).sid).toBe(room.sid);

    await rooms.createRoom({ name: 'other' });
    expect((await rooms.listRooms()).map((r) => r.name).sort()).toEqual(['api-room', 'other']);
    expect((await rooms.listRooms(['other'])).map((r) => r.name)).toEqual(['other']);
    await rooms.deleteRoom('other');
    expect((await rooms.listRooms()).map((r) => r.name)).toEqual(['api-room']);
  });

  it('gets, lists and removes participants', async () => {
    server.addParticipant('room', { identity: 'alice', name: 'Alice', attributes: { a: '1' } });
    server.publishTrack('room', 'alice');
    server.addParticipant('room', { identity: 'bob' });
    const alice = await rooms.getParticipant('room', 'alice');
    expect(alice).toMatchObject({
      identity: 'alice',
      name: 'Alice',
      attributes: { a: '1' },
      state: ParticipantInfo_State.ACTIVE,
      isPublisher: true,
    });
    expect(alice.tracks).toHaveLength(1);
    expect((await rooms.listParticipants('room')).map((p) => p.identity)).toEqual(['alice', 'bob']);
    await rooms.removeParticipant('room', 'bob');
    expect((await rooms.listParticipants('room')).map((p) => p.identity)).toEqual(['alice']);
  });

  it('answers not_found for a missing room or participant', async () => {
    server.createRoom('room');
    for (const [call, message] of [
      [rooms.getParticipant('nowhere', 'x'), 'requested room does not exist'],
      [rooms.getParticipant('room', 'ghost'), 'participant does not exist'],
      [rooms.removeParticipant('room', 'ghost'), 'participant does not exist'],
      [rooms.deleteRoom('nowhere'), 'requested room does not exist'],
    ] as const) {
      const error = await caught(call);
      expect(error).toMatchObject({ status: 404, code: 'not_found', message });
    }
  });

  it('answers a missing or insufficient grant with 401 unauthenticated, as LiveKit does', async () => {
    const listOnly = new RoomServiceClient(server.url, 'devkey', 'secret', {
      token: await token({ roomList: true }),
    });
    const created = await caught(listOnly.createRoom({ name: 'x' }));
    expect(created).toMatchObject({
      status: 401,
      code: 'unauthenticated',
      message: 'permissions denied',
    });

    // Admin of another room.
    server.createRoom('room');
    const otherAdmin = new RoomServiceClient(server.url, 'devkey', 'secret', {
      token: await token({ roomAdmin: true, room: 'elsewhere' }),
    });
    expect((await caught(otherAdmin.listParticipants('room'))).code).toBe('unauthenticated');

    const response = await twirp('livekit.RoomService/ListRooms', '{}', { auth: '' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'unauthenticated', msg: 'permissions denied' });
  });

  it('refuses a bad token before Twirp runs: plain-text 401', async () => {
    const response = await twirp('livekit.RoomService/ListRooms', '{}', {
      auth: `Bearer ${await token({ roomList: true }, 'wrong-secret')}`,
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^invalid authorization token: /);
  });
});

describe('Twirp encoding', () => {
  it('accepts and answers protobuf', async () => {
    const request = new CreateRoomRequest({ name: 'binary', maxParticipants: 3 });
    const response = await twirp('livekit.RoomService/CreateRoom', request.toBinary(), {
      contentType: 'application/protobuf',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/protobuf');
    const room = Room.fromBinary(new Uint8Array(await response.arrayBuffer()));
    expect(room).toMatchObject({ name: 'binary', maxParticipants: 3 });
  });

  it('answers JSON with proto names, every default, 64-bit integers as strings and null messages', async () => {
    const response = await twirp('livekit.RoomService/CreateRoom', '{"name":"json-room"}', {
      contentType: 'application/json; charset=utf-8',
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    const json = (await response.json()) as Record<string, unknown>;
    expect(json).toMatchObject({
      name: 'json-room',
      num_participants: 0,
      active_recording: false,
      metadata: '',
      version: null,
    });
    expect(typeof json.creation_time).toBe('string');
  });

  it('routes only POSTs of JSON or protobuf to known methods (bad_route); others are unimplemented', async () => {
    const get = await twirp('livekit.RoomService/ListRooms', '', {
      httpMethod: 'GET',
      grant: { roomList: true },
    });
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ code: 'bad_route' });
    const unknown = await twirp('livekit.RoomService/Teleport', '{}');
    expect(await unknown.json()).toMatchObject({ code: 'bad_route' });
    const text = await twirp('livekit.RoomService/ListRooms', '{}', { contentType: 'text/plain' });
    expect(text.status).toBe(404);
    const mute = await twirp('livekit.RoomService/MutePublishedTrack', '{}');
    expect(mute.status).toBe(501);
    expect(await mute.json()).toMatchObject({ code: 'unimplemented' });
    const garbage = await twirp('livekit.RoomService/CreateRoom', '{not json');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ code: 'malformed' });
  });

  it('answers a body over 2 MB with a malformed error and closes, rather than resetting', async () => {
    const huge = `{"name":"${'x'.repeat(3 * 1024 * 1024)}"}`;
    const answer = await twirp('livekit.RoomService/CreateRoom', huge);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.json()).toMatchObject({
      code: 'malformed',
      msg: expect.stringMatching(/exceeds 2097152 bytes/),
    });
    expect(server.rooms()).toEqual([]);
    const after = await twirp('livekit.RoomService/CreateRoom', '{"name":"small"}');
    expect(after.status).toBe(200);
  });
});

describe('AgentDispatchService through AgentDispatchClient', () => {
  it('creates a dispatch (and its room), offers its job, lists and deletes it', async () => {
    const { worker } = await TestWorker.register(server.url, {
      type: JobType.JT_ROOM,
      agentName: 'helper',
    });
    workers.push(worker);
    const created = await dispatch.createDispatch('new-room', 'helper', { metadata: 'hi' });
    expect(created).toMatchObject({ agentName: 'helper', room: 'new-room', metadata: 'hi' });
    expect(created.id).toMatch(/^AD_/);
    expect(created.state?.createdAt).toBeGreaterThan(0n);

    const request = await worker.next('availability');
    expect(request.job).toMatchObject({
      dispatchId: created.id,
      metadata: 'hi',
      agentName: 'helper',
    });
    worker.send({
      case: 'availability',
      value: { jobId: request.job!.id, available: true, participantIdentity: 'agent-h' },
    });
    await worker.next('assignment');
    server.joinAgent(request.job!.id);

    // The room came with its automatic dispatch too.
    const listed = await dispatch.listDispatch('new-room');
    expect(listed.map((d) => d.agentName).sort()).toEqual(['', 'helper']);
    const fetched = await dispatch.getDispatch(created.id, 'new-room');
    expect(fetched?.state?.jobs.map((j) => j.id)).toEqual([request.job!.id]);

    await dispatch.deleteDispatch(created.id, 'new-room');
    expect((await worker.next('termination')).jobId).toBe(request.job!.id);
    expect(server.job(request.job!.id)!.status).toBe(JobStatus.JS_SUCCESS);
    expect((await dispatch.listDispatch('new-room')).map((d) => d.agentName)).toEqual(['']);
    // The agent did not leave by itself: the server removes it.
    await server.waitUntil(
      () => !server.participants('new-room').some((p) => p.identity === 'agent-h'),
    );
  });

  it('dispatches to participants and publishers already in the room', async () => {
    const { worker } = await TestWorker.register(server.url, {
      type: JobType.JT_PUBLISHER,
      agentName: 'late',
    });
    workers.push(worker);
    server.addParticipant('room', { identity: 'alice' });
    server.publishTrack('room', 'alice');
    await dispatch.createDispatch('room', 'late');
    expect((await worker.next('availability')).job).toMatchObject({
      type: JobType.JT_PUBLISHER,
      participant: { identity: 'alice' },
    });
  });

  it('answers not_found for an unknown dispatch or room, unauthenticated for another room', async () => {
    server.createRoom('room');
    expect(await caught(dispatch.deleteDispatch('AD_nope', 'room'))).toMatchObject({
      code: 'not_found',
      message: 'dispatch ID not found',
    });
    expect((await caught(dispatch.listDispatch('nowhere'))).code).toBe('not_found');
    const other = new AgentDispatchClient(server.url, 'devkey', 'secret', {
      token: await token({ roomAdmin: true, room: 'elsewhere' }),
    });
    expect((await caught(other.createDispatch('room', 'x'))).code).toBe('unauthenticated');
  });
});
