import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plugin, utils } from '@agents/core';
import { FileServer } from '@agents/testing';
import { fmt, median, type Row, type Suite, timeRuns } from '../measure.js';

/** Start-up cost of the package: what every job process pays before it can work. */
function importCost(): Row[] {
  const script = (body: string) => [
    '--input-type=module',
    '-e',
    `const t = performance.now(); ${body}; const ms = performance.now() - t;
     console.log(JSON.stringify({ ms, rss: process.memoryUsage().rss }));`,
  ];
  const sample = (body: string) =>
    Array.from({ length: 9 }, () =>
      JSON.parse(execFileSync(process.execPath, script(body), { encoding: 'utf8' })),
    );
  const bare = sample('await Promise.resolve()');
  const core = sample("await import('@agents/core')");
  const ms = median(core.map((s) => s.ms));
  const rssDelta = median(core.map((s) => s.rss)) - median(bare.map((s) => s.rss));
  return [
    {
      name: "import('@agents/core')",
      result: `${fmt(ms)} ms, +${fmt(rssDelta / 2 ** 20)} MB RSS`,
      detail: 'fresh node process, median of 9; RSS against a bare node process',
    },
  ];
}

async function download(): Promise<Row[]> {
  const size = 64 * 2 ** 20;
  const server = await FileServer.start({ files: { '/big.bin': randomBytes(size) } });
  const cacheDir = await mkdtemp(join(tmpdir(), 'agents-bench-'));
  const options = {
    url: server.urlOf('/big.bin'),
    sha256: server.sha256Of('/big.bin'),
    cacheDir,
    onProgress: () => {},
  };
  try {
    let n = 0;
    const fresh = await timeRuns(() => plugin.downloadFile({ ...options, dest: `f${n++}.bin` }), {
      runs: 5,
      warmup: 1,
    });
    const present = await timeRuns(() => plugin.downloadFile({ ...options, dest: 'f0.bin' }), {
      runs: 5,
    });
    return [
      {
        name: 'downloadFile, 64 MB over loopback',
        result: `${fmt(size / 2 ** 20 / (median(fresh) / 1000), 0)} MB/s`,
        detail: 'stream to temp file + sha256 + rename, median of 5',
      },
      {
        name: 'downloadFile, 64 MB already present',
        result: `${fmt(median(present), 0)} ms`,
        detail: 'sha256 of the file, no request, median of 5',
      },
    ];
  } finally {
    await server.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function queueAndEmitter(): Promise<Row[]> {
  const items = 200_000;
  const queueTimes = await timeRuns(async () => {
    const queue = new utils.AsyncQueue<number>({ capacity: 64 });
    const consumer = (async () => {
      let sum = 0;
      for await (const value of queue) sum += value;
      return sum;
    })();
    for (let i = 0; i < items; i++) await queue.put(i);
    queue.close();
    await consumer;
  });
  const emitter = new utils.TypedEventEmitter<{ frame: { n: number } }>();
  let seen = 0;
  for (let i = 0; i < 3; i++) emitter.on('frame', ({ n }) => (seen += n));
  const emits = 1_000_000;
  const emitTimes = await timeRuns(() => {
    for (let i = 0; i < emits; i++) emitter.emit('frame', { n: 1 });
  });
  if (seen === 0) throw new Error('emitter listeners did not run');
  return [
    {
      name: 'AsyncQueue put/get, capacity 64',
      result: `${fmt((median(queueTimes) * 1e6) / items, 0)} ns/item`,
      detail: `${items} items through one producer and one consumer, median of 7`,
    },
    {
      name: 'TypedEventEmitter.emit, 3 listeners',
      result: `${fmt((median(emitTimes) * 1e6) / emits, 0)} ns/emit`,
      detail: `${emits} emits, median of 7`,
    },
  ];
}

export const coreSuite: Suite = {
  name: 'core',
  async run() {
    return [...importCost(), ...(await download()), ...(await queueAndEmitter())];
  },
};
