// voice.Timeline: what it records and how much, and the SVG it draws. The
// picture of a hand-fed conversation must match the committed golden file;
// after a deliberate change to the drawing, regenerate it with
//   UPDATE_GOLDEN=1 pnpm exec vitest run test/voice-timeline.test.ts
// (the same for packages/testing/test/voice/timeline.test.ts, a real assistant's run).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { utils, voice } from '../src/index.js';
import { Buckets } from '../src/voice/timeline/buckets.js';
import { assertWellFormedXml } from './xml-check.js';

const GOLDEN = fileURLToPath(new URL('./fixtures/timeline/hand-fed.svg', import.meta.url));

/** Stands for a VoiceAssistant: its events, and the probe it would feed. */
class FakeAssistant extends utils.TypedEventEmitter<voice.VoiceAssistantEvents> {
  probe: voice.TimelineProbe | undefined;
  _setTimelineProbe(probe: voice.TimelineProbe | undefined): void {
    this.probe = probe;
  }
}

/** One turn, a ducked cough, an interruption, a tool call, at fixed clock times (ms). */
function feed(a: FakeAssistant, now: { t: number }): void {
  const p = a.probe!;
  p.clock(() => now.t);
  p.gain(1000, 1);
  for (let t = 1000; t < 9000; t += 32) {
    const speaking = (t >= 1300 && t < 2500) || (t >= 4000 && t < 4300) || (t >= 5200 && t < 6000);
    p.vad(t, speaking ? 0.97 : 0.02);
  }
  a.emit('user_started_speaking', { at: 1300 });
  p.transcript(1700, 'what is', false);
  p.transcript(2100, 'what is the <weather> & "time"', false);
  a.emit('user_stopped_speaking', { at: 2600 });
  p.transcript(2650, 'What is the <weather> & "time" in Paris?', true);
  a.emit('user_speech_committed', { text: 'What is the <weather> & "time" in Paris?', at: 3000 });
  now.t = 3050;
  a.emit('function_calls_collected', { speechId: 's1', calls: [call('getWeather')] });
  now.t = 3250;
  a.emit('function_calls_finished', { speechId: 's1', calls: [call('getWeather')], results: [] });
  a.emit('agent_started_speaking', { speechId: 's1', at: 3400 });
  for (let t = 3400; t < 6300; t += 10) p.level(t, 10, 0.2 + 0.1 * Math.sin(t / 100));
  a.emit('user_started_speaking', { at: 4000 });
  p.gain(4100, 0.5);
  a.emit('user_stopped_speaking', { at: 4300 });
  p.gain(4300, 1);
  a.emit('user_started_speaking', { at: 5200 });
  p.paused(5700, true);
  p.transcript(5900, 'stop\u0007 please', false);
  a.emit('agent_speech_interrupted', { speechId: 's1', heardText: 'It is sunny', at: 6300 });
  a.emit('agent_stopped_speaking', { speechId: 's1', at: 6300, outcome: 'interrupted' });
  p.paused(6300, false);
  now.t = 6300;
  a.emit('metrics_collected', {
    type: 'voice_turn',
    speechId: 's1',
    userSpeechEndedAt: 2500,
    finalTranscriptAt: 2650,
    endOfTurnAt: 3000,
    llmStartedAt: 3000,
    llmFirstTokenAt: 3040,
    llmTtftMs: 40,
    ttsStartedAt: 3260,
    ttsFirstAudioAt: 3380,
    ttsTtfbMs: 120,
    firstAudioPlayedAt: 3400,
    endToEndMs: 900,
  });
  a.emit('user_stopped_speaking', { at: 6100 });
}

function call(name: string) {
  return { id: `call_${name}`, name, arguments: '{}' };
}

function recordHandFed(options?: voice.TimelineOptions): voice.Timeline {
  const assistant = new FakeAssistant();
  const timeline = new voice.Timeline(options);
  timeline.record(assistant);
  feed(assistant, { t: 1000 });
  return timeline;
}

describe('voice.Timeline', () => {
  it('draws a hand-fed conversation exactly as the golden file, as well-formed XML', () => {
    const svg = recordHandFed().toSVG({ origin: 1000, title: 'Hand-fed <test> & "turn"' });
    assertWellFormedXml(svg);
    // Text is escaped, a control character dropped.
    expect(svg).toContain('What is the &lt;weather&gt; &amp; &quot;time&quot; in Paris?');
    expect(svg).toContain('stop please');
    expect(svg).not.toContain('\u0007');
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, svg);
    expect(svg).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('shows each stage of a turn’s delay after the end of the user’s speech', () => {
    const svg = recordHandFed().toSVG({ origin: 1000 });
    expect(svg).toContain(
      '#1 (user stopped at 1.50 s): final transcript +150 ms · end of turn +500 ms · ' +
        'LLM first token +540 ms · TTS first byte +880 ms · first audio +900 ms',
    );
    expect(svg).toContain('#1 900 ms');
  });

  it('keeps at most maxEvents marks and says how many it dropped', () => {
    const timeline = recordHandFed({ maxEvents: 5 });
    const data = timeline.data();
    expect(data.marks).toHaveLength(5);
    expect(data.droppedMarks).toBeGreaterThan(10);
    expect(timeline.toSVG()).toContain(`${data.droppedMarks} later events not recorded`);
  });

  it('shortens long transcripts', () => {
    const assistant = new FakeAssistant();
    const timeline = new voice.Timeline({ maxTextLength: 10 });
    timeline.record(assistant);
    assistant.probe!.transcript(0, 'a'.repeat(1000), true);
    expect(timeline.data().marks[0]).toEqual({ type: 'final', at: 0, text: `${'a'.repeat(9)}…` });
  });

  it('stops recording, and drops the probe, when told', () => {
    const assistant = new FakeAssistant();
    const timeline = new voice.Timeline();
    const stop = timeline.record(assistant);
    assistant.emit('user_started_speaking', { at: 1 });
    stop();
    assistant.emit('user_stopped_speaking', { at: 2 });
    expect(assistant.probe).toBeUndefined();
    expect(timeline.data().marks.map((m) => m.type)).toEqual(['user_started']);
    expect(() => timeline.record(assistant)).toThrow(/already records/);
  });

  it('draws an empty recording too', () => {
    const svg = new voice.Timeline().toSVG();
    assertWellFormedXml(svg);
    expect(svg).toContain('no completed turn');
  });
});

describe('timeline buckets', () => {
  it('an hour at 20 ms stays within maxBuckets: the resolution halves, the peaks stay', () => {
    const buckets = new Buckets(20, 1000);
    for (let t = 0; t < 3_600_000; t += 32) buckets.add(t, t === 1_800_000 ? 1 : 0.1);
    expect(buckets.values.length).toBeLessThanOrEqual(1000);
    expect(buckets.bucketMs).toBe(20 * 2 ** 8);
    // The whole hour is covered, and the one peak survived the merging.
    expect(buckets.values.length * buckets.bucketMs).toBeGreaterThanOrEqual(3_600_000);
    expect(Math.max(...buckets.values)).toBe(1);
    expect(buckets.values.filter((v) => v === 1)).toHaveLength(1);
  });

  it('a report over a stretch fills every bucket it covers', () => {
    const buckets = new Buckets(20, 100);
    buckets.add(100, 0.5, 60);
    expect(buckets.start).toBe(100);
    expect(buckets.values).toEqual([0.5, 0.5, 0.5]);
  });
});

describe('the XML check the tests above rely on', () => {
  it('rejects what a browser would refuse, accepts escaped text', () => {
    for (const bad of [
      '<a><b></a>',
      '<a>x & y</a>',
      '<a x="1" x="2"/>',
      '<a/><b/>',
      '<a>',
      '<a b=1/>',
    ]) {
      expect(() => assertWellFormedXml(bad), bad).toThrow(/not well-formed/);
    }
    assertWellFormedXml('<?xml version="1.0"?>\n<a x="&amp;"><b/>t &lt; &#39;</a>\n');
  });
});
