import { utils, voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeLLM, FakeSTT, FakeTTS, FakeVAD, scaledMs, silentFrame } from '../../src/index.js';
import { Harness, settle } from './harness.js';
import { ResourceWatch } from './resources.js';

// close() at every stage of a conversation leaves nothing running: the process's timers and
// handles (process.getActiveResourcesInfo()) are back to what they were before the assistant
// started. Stages are reached by events, so a slow machine only makes them later.

const ANSWER = 'Paris is the capital of France.';
/** Node reports a cleared timer destroyed a few turns of the event loop later. */
const DEADLINE_MS = scaledMs(500);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

type Stage = [string, keyof voice.VoiceAssistantEvents | undefined, number];

const STAGES: Stage[] = [
  ['listening, before any speech', undefined, 0],
  ['the user speaking', 'user_started_speaking', 1],
  ['endpointing (a final in hand, waiting for the delay)', 'user_stopped_speaking', 1],
  ['the answer generated, not yet heard', 'user_speech_committed', 1],
  ['the agent speaking', 'agent_started_speaking', 1],
  ['the user speaking over the agent (ducked, then paused)', 'user_started_speaking', 2],
  ['the answer interrupted', 'agent_speech_interrupted', 1],
  ['the second answer waiting on a slow LLM', 'user_speech_committed', 2],
];

describe('VoiceAssistant close(): real time (FileIO on the real clock)', () => {
  it.each(STAGES)('leaves nothing running when closed with %s', async (_, event, count) => {
    const watch = new ResourceWatch();
    // One conversation: a question, the answer, the user cutting in, a second question
    // whose answer waits a minute for its first token.
    const vad = new FakeVAD({
      streams: [
        [
          { startMs: 100, endMs: 600 },
          { startMs: 1500, endMs: 2300 },
        ],
      ],
    });
    const stt = new FakeSTT({
      streams: [
        [
          { atAudioMs: 650, type: 'final_transcript', text: 'Tell me about Paris.' },
          { atAudioMs: 2350, type: 'final_transcript', text: 'Stop please.' },
        ],
      ],
    });
    const llm = new FakeLLM({
      responses: [{ content: ANSWER }, { content: 'OK.', ttftMs: 60_000 }],
    });
    const tts = new FakeTTS({ synthesize: [{ text: ANSWER, audioMs: 3000 }] });
    const assistant = new voice.VoiceAssistant({
      vad,
      stt,
      llm,
      tts,
      minEndpointingDelay: 0.2,
      interruptSpeechDuration: 0.3,
    });
    const io = new voice.FileIO(silentFrame(10_000, 16_000), {});
    cleanup = async () => {
      watch.stop();
      await assistant.close();
      await io.close();
    };
    const reached = new Promise<void>((resolve) => {
      let seen = 0;
      if (!event) resolve();
      else assistant.on(event, () => ++seen === count && resolve());
    });
    await assistant.start(io);
    await utils.withDeadline(reached, scaledMs(8000), `no ${event} #${count}`);
    await assistant.close();
    await io.close();
    await watch.expectNothingLeft(DEADLINE_MS);
  });
});

describe('VoiceAssistant close(): virtual clock, slow models', () => {
  // The models' own waits (first token, first byte) run on real timers even here.
  it.each([0, 500, 1200, 1520, 1800, 2600, 3200])(
    'leaves no timer of a model running when closed at %i ms',
    async (at) => {
      const watch = new ResourceWatch();
      const h = new Harness(voice.VoiceAssistant, {
        vad: [
          { startMs: 100, endMs: 1000 },
          { startMs: 2000, endMs: 3000 },
        ],
        stt: [
          { atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' },
          { atAudioMs: 3050, type: 'final_transcript', text: 'Stop please.' },
        ],
        llm: [{ content: ANSWER }, { content: 'OK.', ttftMs: 60_000 }],
        // The first byte takes a minute past 1.5 s: closed before, during, or never reached.
        tts: [{ text: ANSWER, audioMs: 3000, firstByteDelayMs: at >= 1520 ? 0 : 60_000 }],
      });
      cleanup = async () => {
        watch.stop();
        await h.assistant.close();
      };
      await h.start();
      await h.run(at);
      await h.assistant.close();
      await settle();
      expect(h.clock.pendingTimers).toBe(0);
      await watch.expectNothingLeft(DEADLINE_MS);
    },
  );
});
