import {
  JobType,
  ParticipantPermission,
  ServerInfo_Edition,
  ServerMessage,
  WorkerMessage,
  WorkerStatus,
} from '@livekit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn, type LiveKitStandInOptions } from '../src/livekit/index.js';
import { TestWorker } from './fixtures/livekit/test-worker.js';

let server: LiveKitStandIn;

async function start(options: LiveKitStandInOptions = {}): Promise<LiveKitStandIn> {
  server = await LiveKitStandIn.start(options);
  return server;
}

afterEach(async () => {
  await server?.close();
});

describe('registration', () => {
  it('says nothing first, then answers register with the worker id and server info', async () => {
    await start();
    const worker = await TestWorker.connect(server.url);
    // A ping is allowed before registration; its pong proves nothing else was sent.
    await worker.sync();
    expect(worker.unread()).toEqual([]);

    worker.send({
      case: 'register',
      value: { type: JobType.JT_PUBLISHER, agentName: 'helper', version: '0.1.0', namespace: 'ns' },
    });
    const response = await worker.next('register');
    expect(response.workerId).toMatch(/^AW_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect(response.serverInfo).toMatchObject({
      edition: ServerInfo_Edition.Standard,
      agentProtocol: 1,
      protocol: 17,
      version: '1.13.5',
      region: '',
    });
    expect(response.serverInfo?.nodeId).toMatch(/^ND_/);

    const [info] = await server.waitForWorkers(1);
    expect(info).toMatchObject({
      id: response.workerId,
      agentName: 'helper',
      namespace: 'ns',
      jobType: JobType.JT_PUBLISHER,
      version: '0.1.0',
      status: WorkerStatus.WS_AVAILABLE,
      load: 0,
      protocol: 1,
    });
    // No permissions registered: the server's defaults.
    expect(info!.permissions).toEqual(
      new ParticipantPermission({
        canSubscribe: true,
        canPublish: true,
        canPublishData: true,
        canUpdateMetadata: true,
      }),
    );
    const toWorker = server.messages().filter((m) => m.direction === 'to_worker');
    expect(toWorker.map((m) => m.kind)).toEqual(['pong', 'register']);
    worker.close();
  });

  it('closes a connection that does not register in time, without a close frame', async () => {
    await start({ registerTimeoutMs: 150 });
    const worker = await TestWorker.connect(server.url);
    expect(await worker.closed).toBe(1006);
    expect(server.messages()).toEqual([]);
  });

  it.each([
    ['a status update before registering', { case: 'updateWorker', value: { load: 0.1 } }],
    ['a message with no case', undefined],
  ] as const)('closes the connection on %s', async (_name, message) => {
    await start();
    const worker = await TestWorker.connect(server.url);
    if (message) worker.send(message);
    else worker.sendRaw(new WorkerMessage().toBinary());
    expect(await worker.closed).toBe(1006);
  });

  it('closes the connection on a second register', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    worker.send({ case: 'register', value: { type: JobType.JT_ROOM } });
    expect(await worker.closed).toBe(1006);
    await server.waitForWorkers(0);
  });

  it('closes the connection on a message of a kind it does not know (a future field)', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    // Field 10, length-delimited, empty: valid protobuf, but no case of WorkerMessage.
    worker.sendRaw(Uint8Array.of(0x52, 0x00));
    expect(await worker.closed).toBe(1006);
  });

  it('refuses an unknown job type or an invalid deployment by closing the connection', async () => {
    await start();
    const bad = await TestWorker.connect(server.url);
    bad.send({ case: 'register', value: { type: 7 as JobType } });
    expect(await bad.closed).toBe(1006);
    const underscore = await TestWorker.connect(server.url);
    underscore.send({ case: 'register', value: { type: JobType.JT_ROOM, deployment: 'a_b' } });
    expect(await underscore.closed).toBe(1006);
    expect(server.workers()).toEqual([]);
  });

  it('speaks protojson to a worker that writes text frames', async () => {
    await start();
    const worker = await TestWorker.connect(server.url);
    worker.sendRaw(JSON.stringify({ register: { type: 'JT_ROOM', agentName: 'json' } }), false);
    const text = await new Promise<string>((resolve) =>
      worker.ws.once('message', (data, isBinary) => {
        expect(isBinary).toBe(false);
        resolve(data.toString());
      }),
    );
    const response = ServerMessage.fromJsonString(text);
    expect(response.message.case).toBe('register');
    expect(JSON.parse(text).register.workerId).toMatch(/^AW_/);
    worker.close();
  });
});

describe('keepalive', () => {
  it('answers a WorkerPing with a pong echoing its timestamp plus the server time in ms', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    const before = BigInt(Date.now());
    worker.send({ case: 'ping', value: { timestamp: 1234n } });
    const pong = await worker.next('pong');
    expect(pong.lastTimestamp).toBe(1234n);
    expect(pong.timestamp).toBeGreaterThanOrEqual(before);
    expect(pong.timestamp).toBeLessThanOrEqual(BigInt(Date.now()));
    worker.close();
  });

  it('sends websocket ping frames on its interval', async () => {
    await start({ pingIntervalMs: 40 });
    const { worker } = await TestWorker.register(server.url);
    await new Promise<void>((resolve) => worker.ws.once('ping', () => resolve()));
    worker.close();
  });
});

describe('worker status', () => {
  it('sets status only when present, and always overwrites load (absent means 0)', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    const id = worker.workerId;
    const workerNow = () => server.workers().find((w) => w.id === id)!;

    worker.send({
      case: 'updateWorker',
      value: { status: WorkerStatus.WS_FULL, load: 0.5, jobCount: 3 },
    });
    await worker.sync();
    expect(workerNow()).toMatchObject({ status: WorkerStatus.WS_FULL, load: 0.5 });

    worker.send({ case: 'updateWorker', value: { load: 0.25 } });
    await worker.sync();
    expect(workerNow()).toMatchObject({ status: WorkerStatus.WS_FULL, load: 0.25 });

    worker.send({ case: 'updateWorker', value: { status: WorkerStatus.WS_AVAILABLE } });
    await worker.sync();
    expect(workerNow()).toMatchObject({ status: WorkerStatus.WS_AVAILABLE, load: 0 });
    worker.close();
  });
});

describe('message log', () => {
  it('records every frame decoded, with direction, connection and worker id', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url, { agentName: 'logged' });
    worker.send({ case: 'updateWorker', value: { load: 0.1 } });
    await server.waitForMessage((m) => m.kind === 'updateWorker');
    const log = server.messages();
    expect(log.map((m) => [m.direction, m.kind])).toEqual([
      ['from_worker', 'register'],
      ['to_worker', 'register'],
      ['from_worker', 'updateWorker'],
    ]);
    expect(new Set(log.map((m) => m.connectionId)).size).toBe(1);
    // The register request arrives before the worker has an id.
    expect(log.map((m) => m.workerId)).toEqual([undefined, worker.workerId, worker.workerId]);
    const first = log[0]!;
    expect(first.kind === 'register' && first.message.message.case === 'register').toBe(true);
    worker.close();
  });

  it('keeps at most its capacity, dropping the oldest', async () => {
    await start({ messageLogCapacity: 4 });
    const { worker } = await TestWorker.register(server.url);
    for (let i = 0; i < 3; i++) await worker.sync();
    const log = server.messages();
    expect(log).toHaveLength(4);
    // register, response, then 3 ping/pong pairs: 8 logged, 4 dropped.
    expect(server.droppedMessages).toBe(4);
    expect(log.map((m) => m.seq)).toEqual([5, 6, 7, 8]);
    worker.close();
  });
});

describe('faults', () => {
  it('survives a malformed frame from a worker: logged, that connection closed, others served', async () => {
    await start();
    const { worker: bad } = await TestWorker.register(server.url);
    const { worker: good } = await TestWorker.register(server.url);
    bad.sendRaw(Uint8Array.of(0xff, 0xff, 0xff));
    // The real server's read loop ends on any read error, decoding included.
    expect(await bad.closed).toBe(1006);
    const entry = await server.waitForMessage((m) => m.kind === 'malformed');
    expect(entry).toMatchObject({ direction: 'from_worker', workerId: bad.workerId, bytes: 3 });
    await server.waitForWorkers(1);
    await good.sync();
    const { worker: late } = await TestWorker.register(server.url);
    await server.waitForWorkers(2);
    good.close();
    late.close();
  });

  it('sends a worker a frame that does not decode, then carries on', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    server.sendMalformedFrame(worker.workerId);
    await worker.sync();
    expect(worker.undecodable).toHaveLength(1);
    expect(() => ServerMessage.fromBinary(worker.undecodable[0]!)).toThrow();
    expect(server.messages().find((m) => m.kind === 'malformed')).toMatchObject({
      direction: 'to_worker',
      workerId: worker.workerId,
    });
    worker.close();
  });

  it('stalls a worker: no pongs, no websocket pongs, replies held until resumed', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    server.stallWorker(worker.workerId);
    expect(server.workers()[0]!.stalled).toBe(true);
    worker.send({ case: 'ping', value: { timestamp: 1n } });
    worker.ws.ping();
    let wsPong = false;
    worker.ws.once('pong', () => {
      wsPong = true;
    });
    await expect(worker.next('pong', 300)).rejects.toThrow(/no pong/);
    expect(wsPong).toBe(false);

    server.resumeWorker(worker.workerId);
    expect((await worker.next('pong')).lastTimestamp).toBe(1n);
    worker.close();
  });

  it('drops a worker without a close frame', async () => {
    await start();
    const { worker } = await TestWorker.register(server.url);
    const gone = new Promise((resolve) => server.once('worker_disconnected', resolve));
    server.dropWorker(worker.workerId);
    expect(await worker.closed).toBe(1006);
    expect(await gone).toMatchObject({ worker: { id: worker.workerId } });
    expect(server.workers()).toEqual([]);
  });
});
