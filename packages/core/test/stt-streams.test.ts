import { Writable } from 'node:stream';
import { AudioFrame } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AudioConverter } from '../src/audio/converter.js';
import { initializeLogger } from '../src/log.js';
import { type SpeechEvent, SpeechEventType } from '../src/stt/events.js';
import { SpeechStream } from '../src/stt/speech-stream.js';
import { StreamAdapter } from '../src/stt/stream-adapter.js';
import { STT } from '../src/stt/stt.js';
import { FLUSH, StreamClosedError } from '../src/utils/async-stream.js';
import { VAD, type VADEvent, VADEventType, VADStream } from '../src/vad/vad.js';

const frame = (rate = 16000, ms = 10) =>
  new AudioFrame(new Int16Array((rate * ms) / 1000), rate, 1, (rate * ms) / 1000);

/** Counts the frames it reads. */
class CountingStream extends SpeechStream {
  count = 0;
  protected async run(): Promise<void> {
    for await (const item of this.frames()) {
      if (item !== FLUSH) this.count++;
    }
  }
}

class TestSTT extends STT {
  readonly label = 'test.STT';
  constructor() {
    super({ streaming: true, interimResults: false });
  }
  protected async recognizeImpl(): Promise<SpeechEvent> {
    const alternatives = [{ text: 'hi', language: 'en', confidence: 1, startTime: 0, endTime: 0 }];
    return { type: SpeechEventType.FINAL_TRANSCRIPT, requestId: 'r', alternatives };
  }
  override stream(): SpeechStream {
    return new CountingStream(this, { sampleRate: 16000 });
  }
}

/** One utterance per segment: START at its first frame, END with its frames at FLUSH or the end. */
class SegmentVAD extends VAD {
  readonly label = 'test.VAD';
  endsAtOnce = false;
  constructor() {
    super({ updateInterval: 0.01 });
  }
  stream(): VADStream {
    return new SegmentStream(this, this.endsAtOnce);
  }
}

class SegmentStream extends VADStream {
  constructor(
    owner: VAD,
    private readonly endsAtOnce: boolean,
  ) {
    super(owner);
  }
  protected async run(): Promise<void> {
    if (this.endsAtOnce) return;
    let frames: AudioFrame[] = [];
    const edge = (type: VADEventType): VADEvent => ({
      type,
      samplesIndex: 0,
      timestamp: 0,
      speechDuration: 0,
      silenceDuration: 0,
      probability: 1,
      inferenceDurationMs: 0,
      speaking: type === VADEventType.START_OF_SPEECH,
      frames,
    });
    const end = async () => {
      if (frames.length > 0) await this.emit(edge(VADEventType.END_OF_SPEECH));
      frames = [];
    };
    for await (const item of this.frames()) {
      if (item === FLUSH) await end();
      else {
        if (frames.length === 0) await this.emit(edge(VADEventType.START_OF_SPEECH));
        frames.push(item);
      }
    }
    await end();
  }
}

async function types(stream: AsyncIterable<SpeechEvent>): Promise<string[]> {
  const out: string[] = [];
  for await (const event of stream) out.push(event.type);
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
  initializeLogger({ level: 'silent', pretty: false });
});

describe('SpeechStream', () => {
  it('frees its converter when it ends by itself, without close()', async () => {
    const closed = vi.spyOn(AudioConverter.prototype, 'close');
    const stream = new TestSTT().stream() as CountingStream;
    stream.pushFrame(frame(48000));
    stream.endInput();
    await types(stream);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(() => stream.pushFrame(frame())).toThrow(StreamClosedError);
  });

  it('refuses a malformed frame at pushFrame, naming the field, and goes on', async () => {
    const stream = new TestSTT().stream() as CountingStream;
    stream.pushFrame(frame());
    const bad = new AudioFrame(new Int16Array(160), 0, 1, 160);
    expect(() => stream.pushFrame(bad)).toThrow(/frame\.sampleRate must be a positive integer/);
    expect(() => stream.pushFrame(null as unknown as AudioFrame)).toThrow(TypeError);
    await expect(stream.write(bad)).rejects.toThrow(TypeError);
    stream.pushFrame(frame());
    stream.endInput();
    await types(stream);
    expect(stream.count).toBe(2);
  });

  it('tells how to avoid dropping: write()', async () => {
    const lines: string[] = [];
    initializeLogger({
      level: 'warn',
      pretty: false,
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(JSON.parse(chunk.toString()).msg);
          done();
        },
      }),
    });
    const stream = new TestSTT().stream();
    for (let i = 0; i < 1001; i++) stream.pushFrame(frame());
    await stream.close();
    expect(lines).toEqual([
      'input buffer full: dropping input; for files or other audio faster than real time, ' +
        'use `await stream.write(frame)`',
    ]);
  });
});

describe('stt.StreamAdapter', () => {
  const adapterWith = (vad = new SegmentVAD()) => {
    const wrapped = new TestSTT();
    return { wrapped, adapter: new StreamAdapter({ stt: wrapped, vad }), vad };
  };

  it('listens to the wrapped STT only while a stream or call is under way', async () => {
    const { wrapped, adapter } = adapterWith();
    const forwarded: unknown[] = [];
    adapter.on('metrics_collected', (m) => forwarded.push(m));
    expect(wrapped.listenerCount('metrics_collected')).toBe(0);
    const stream = adapter.stream();
    expect(wrapped.listenerCount('metrics_collected')).toBe(1);
    stream.pushFrame(frame());
    stream.flush();
    stream.endInput();
    expect(await types(stream)).toEqual([
      SpeechEventType.START_OF_SPEECH,
      SpeechEventType.FINAL_TRANSCRIPT,
      SpeechEventType.END_OF_SPEECH,
    ]);
    expect(forwarded).toHaveLength(1);
    expect(wrapped.listenerCount('metrics_collected')).toBe(0);

    await adapter.recognize(frame());
    expect(forwarded).toHaveLength(2);
    expect(wrapped.listenerCount('metrics_collected')).toBe(0);

    const closedEarly = adapter.stream();
    await closedEarly.close();
    expect(wrapped.listenerCount('metrics_collected')).toBe(0);
  });

  it('refuses a malformed frame at pushFrame and goes on', async () => {
    const { adapter } = adapterWith();
    const stream = adapter.stream();
    expect(() => stream.pushFrame({} as AudioFrame)).toThrow(/frame\.data must be an Int16Array/);
    stream.pushFrame(frame());
    stream.endInput();
    expect(await types(stream)).toContain(SpeechEventType.END_OF_SPEECH);
  });

  it('fails its stream, not the process, when feeding the VAD fails', async () => {
    const vad = new SegmentVAD();
    vad.endsAtOnce = true;
    const { adapter } = adapterWith(vad);
    const stream = adapter.stream();
    stream.pushFrame(frame());
    stream.endInput();
    await expect(types(stream)).rejects.toThrow(StreamClosedError);
  });
});
