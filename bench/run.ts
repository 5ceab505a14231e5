// Runs every benchmark suite and prints one markdown table to paste into BENCHMARKS.md.
// `pnpm bench` runs them all; `pnpm bench audio` only the suites whose name contains "audio".
import { cpus } from 'node:os';
import { initializeLogger } from '@agents/core';
import { dispose } from '@livekit/rtc-node';
import type { Row, Suite } from './measure.js';
import { burstSuite } from './suites/burst.js';
import { coreSuite } from './suites/core.js';
import { deepgramSuite } from './suites/deepgram.js';
import { dispatchSuite } from './suites/dispatch.js';
import { elevenlabsSuite } from './suites/elevenlabs.js';
import { openaiSuite } from './suites/openai.js';
import { roomSuite } from './suites/room.js';
import { tokenizeSuite } from './suites/tokenize.js';
import { vadSuite } from './suites/vad.js';
import { voiceSuite } from './suites/voice.js';
import { voiceLoadSuite } from './suites/voice-load.js';
import { voiceMemorySuite } from './suites/voice-memory.js';
import { workerSuite } from './suites/worker.js';

const suites: Suite[] = [
  coreSuite,
  tokenizeSuite,
  vadSuite,
  voiceSuite,
  voiceLoadSuite,
  voiceMemorySuite,
  openaiSuite,
  deepgramSuite,
  elevenlabsSuite,
  workerSuite,
  dispatchSuite,
  burstSuite,
  roomSuite,
];

// Warnings (e.g. a VAD falling behind on purpose) would mix into the table.
initializeLogger({ level: process.env.LOG_LEVEL ?? 'error', pretty: false });

const filter = process.argv[2];
const rows: Array<Row & { suite: string }> = [];
for (const suite of suites.filter((s) => !filter || s.name.includes(filter))) {
  process.stderr.write(`running ${suite.name}...\n`);
  for (const row of await suite.run()) rows.push({ suite: suite.name, ...row });
}

console.log(`Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}\n`);
console.log('| suite | measurement | result | how |');
console.log('| --- | --- | --- | --- |');
for (const row of rows)
  console.log(`| ${row.suite} | ${row.name} | ${row.result} | ${row.detail} |`);

// Native resamplers keep rtc-node's runtime alive until it is disposed.
await dispose();
