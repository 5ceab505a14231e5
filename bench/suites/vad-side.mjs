// One side of the VAD comparison, in a process of its own: ours (@agents/plugin-silero) or the
// peer (@livekit/agents-plugin-silero, installed by suites/vad.ts into bench/peer/). Each side
// brings its own rtc-node (the peer's is 0.13), which is why the two never share a process.
// Plain JavaScript, so that it runs the same under plain node for both.
//
//   [SILERO_DIST=<path>/dist/index.js] node suites/vad-side.mjs <ours|peer> <flat|live> <fixture> <seconds>
//
// flat: `seconds` of the fixture (mixed down to mono, 10 ms frames) pushed as fast as the
// stream takes them; live: a 10 ms frame every 10 ms of wall time. Prints one JSON line:
// CPU milliseconds (user + system, all threads) and wall milliseconds of the measured part.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [side, mode, fixture, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const peer = new URL('../peer/node_modules/', import.meta.url);

const { VAD, AudioFrame, isInference } =
  side === 'peer'
    ? await (async () => {
        const agents = await import(new URL('@livekit/agents/dist/index.js', peer).href);
        agents.initializeLogger({ pretty: false, level: 'error' });
        const rtc = await import(new URL('@livekit/rtc-node/dist/index.js', peer).href);
        const silero = await import(
          new URL('@livekit/agents-plugin-silero/dist/index.js', peer).href
        );
        return {
          VAD: silero.VAD,
          AudioFrame: rtc.AudioFrame,
          isInference: (event) => event.type === agents.VADEventType.INFERENCE_DONE,
        };
      })()
    : await (async () => {
        const core = await import('@agents/core');
        core.initializeLogger({ pretty: false, level: 'error' });
        const rtc = await import('@livekit/rtc-node');
        // SILERO_DIST: another build of our plugin (its dist/index.js), for an A/B of two
        // versions on the same core and the same audio.
        const silero = await import(
          process.env.SILERO_DIST
            ? pathToFileURL(process.env.SILERO_DIST).href
            : '@agents/plugin-silero'
        );
        return {
          VAD: silero.VAD,
          AudioFrame: rtc.AudioFrame,
          isInference: (event) => event.type === core.vad.VADEventType.INFERENCE_DONE,
        };
      })();

/** The fixture as mono 16-bit samples (a plain PCM WAV, as generate.sh writes them). */
function readMono(name) {
  const bytes = readFileSync(
    new URL(`../../plugins/silero/test/fixtures/${name}.wav`, import.meta.url),
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let rate = 0;
  let channels = 0;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('ascii', at, at + 4);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      channels = view.getUint16(at + 10, true);
      rate = view.getUint32(at + 12, true);
    } else if (id === 'data') {
      const frames = Math.floor(size / 2 / channels);
      const mono = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++)
          sum += view.getInt16(at + 8 + (i * channels + c) * 2, true);
        mono[i] = Math.round(sum / channels);
      }
      return { rate, mono };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${name}.wav has no data chunk`);
}

/** 10 ms frames, the clip repeated until they make `total` seconds. */
function tenMsFrames(total) {
  const { rate, mono } = readMono(fixture);
  const size = rate / 100;
  const clip = [];
  for (let at = 0; at + size <= mono.length; at += size) {
    clip.push(new AudioFrame(mono.slice(at, at + size), rate, 1, size));
  }
  return Array.from({ length: Math.round(total * 100) }, (_, i) => clip[i % clip.length]);
}

/**
 * Windows to wait for: all the audio's but the last two (what a resampler may still hold).
 * The peer's `endInput()` throws (its input's writer is locked), so neither side ends its
 * input: both read until this many INFERENCE_DONE events, then close.
 */
const windowsIn = (frames) => Math.floor((frames.length * 10) / 32) - 2;

async function flat(vad, frames) {
  const stream = vad.stream();
  const expected = windowsIn(frames);
  let done = 0;
  const readOne = async () => {
    const next = await stream.next();
    if (next.done) throw new Error(`${side}: the stream ended after ${done} windows`);
    if (isInference(next.value)) done += 1;
  };
  for (let i = 0; i < frames.length; i++) {
    stream.pushFrame(frames[i]);
    // Both emit one INFERENCE_DONE per 32 ms window; stay under half a second ahead.
    while ((i + 1) * 10 - done * 32 > 500) await readOne();
  }
  while (done < expected) await readOne();
  stream.close();
}

async function live(vad, frames) {
  const stream = vad.stream();
  const expected = windowsIn(frames);
  const reading = (async () => {
    let done = 0;
    while (done < expected) {
      const next = await stream.next();
      if (next.done) throw new Error(`${side}: the stream ended after ${done} windows`);
      if (isInference(next.value)) done += 1;
    }
  })();
  const start = performance.now();
  for (let i = 0; i < frames.length; i++) {
    const wait = start + i * 10 - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    stream.pushFrame(frames[i]);
  }
  await reading;
  stream.close();
}

const vad = await VAD.load();
const run = mode === 'live' ? live : flat;
// A warm-up on a second of audio, so both sides are measured past their first windows.
await flat(vad, tenMsFrames(1));
const frames = tenMsFrames(seconds);
const before = process.cpuUsage();
const started = performance.now();
await run(vad, frames);
const used = process.cpuUsage(before);
const wallMs = performance.now() - started;
console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs }));
await vad.close();
process.exit(0);
