// The VoiceAssistant with the real Silero VAD on a committed speech fixture, through the file
// binding in real time (Silero's inference runs on onnxruntime's own thread, so a virtual clock
// would race ahead of it). The STT, LLM and TTS are scripted fakes: the VAD's view of the audio
// and the endpointing are what is under test. The test lives here, not in @agents/testing,
// because a plugin may depend on @agents/testing but not the other way round.
import { stt, utils, voice } from '@agents/core';
import { FakeLLM, FakeSTT, FakeTTS, scaledMs } from '@agents/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VAD } from '../src/index.js';
import { readFixture, regions } from './helpers.js';

const FIXTURE = 'speech-16k-mono';
const SENTENCES = ['The quick brown fox jumps.', 'Please call me back.', 'It will rain tomorrow.'];
/** The fixture's speech, [start, end] in seconds: gaps of 1.0 s and 0.8 s between sentences. */
const SPEECH = regions[FIXTURE]!.speech;

/**
 * The fake STT, each final held until the VAD has been heard starting that many utterances. A
 * real STT's final comes well after the VAD hears the speech begin; the in-process fake answers
 * at once, while a starved process can run Silero (on onnxruntime's thread) seconds behind it,
 * and then turns would be committed on finals alone, before the VAD heard anything.
 */
class AfterVADSTT extends stt.STT {
  readonly label = 'fake.STT after the VAD';
  readonly wrapped: FakeSTT;
  readonly heard: (utterances: number, signal: AbortSignal) => Promise<void>;

  constructor(wrapped: FakeSTT, heard: AfterVADSTT['heard']) {
    super({ streaming: true, interimResults: false });
    this.wrapped = wrapped;
    this.heard = heard;
  }

  protected recognizeImpl(): Promise<stt.SpeechEvent> {
    throw new Error('AfterVADSTT streams only');
  }

  override stream(options: stt.SpeechStreamOptions = {}): stt.SpeechStream {
    return new AfterVADStream(this, this.wrapped.stream(options), options);
  }
}

class AfterVADStream extends stt.SpeechStream {
  readonly #wrapped: stt.SpeechStream;
  readonly #heard: AfterVADSTT['heard'];

  constructor(owner: AfterVADSTT, wrapped: stt.SpeechStream, options: stt.SpeechStreamOptions) {
    super(owner, { language: options.language, reportMetrics: false });
    this.#wrapped = wrapped;
    this.#heard = owner.heard;
    this.whenRunEnds(() => void wrapped.close());
  }

  protected async run(): Promise<void> {
    const feeding = this.#feed();
    let finals = 0;
    for await (const event of this.#wrapped) {
      if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
        await this.#heard(++finals, this.signal);
      }
      if (!(await this.emit(event))) break;
    }
    await feeding;
  }

  async #feed(): Promise<void> {
    for await (const item of this.frames()) {
      if (item === utils.FLUSH) this.#wrapped.flush();
      else await this.#wrapped.write(item, { signal: this.signal });
    }
    this.#wrapped.endInput();
  }
}

let silero: VAD;
beforeAll(async () => {
  silero = await VAD.load();
});
afterAll(async () => {
  await silero.close();
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

type Logged = { event: keyof voice.VoiceAssistantEvents; payload: unknown };

/** Runs the fixture through an assistant; resolves once `answers` answers were committed. */
async function converse(options: {
  answers: number;
  llm: string[];
  assistant: Partial<voice.VoiceAssistantOptions>;
}): Promise<{ log: Logged[]; llm: FakeLLM; io: voice.FileIO }> {
  // A final 100 ms after each sentence, as a streaming STT would send it.
  const finals = SENTENCES.map((text, i) => ({
    atAudioMs: Math.round(SPEECH[i]![1] * 1000) + 100,
    type: 'final_transcript' as const,
    text,
  }));
  const llm = new FakeLLM({ responses: options.llm.map((content) => ({ content })) });
  // Short answers: each is over before the user's next sentence begins.
  const tts = new FakeTTS({ synthesize: options.llm.map(() => ({ audioMs: 200 })) });
  let started = 0;
  const startedAgain = new Set<() => void>();
  const heard = async (utterances: number, signal: AbortSignal) => {
    while (started < utterances) {
      await utils.abortable(new Promise<void>((resolve) => startedAgain.add(resolve)), signal);
    }
  };
  const assistant = new voice.VoiceAssistant({
    vad: silero,
    stt: new AfterVADSTT(new FakeSTT({ streams: [finals] }), heard),
    llm,
    tts,
    ...options.assistant,
  });
  assistant.on('user_started_speaking', () => {
    started++;
    for (const resolve of startedAgain) resolve();
    startedAgain.clear();
  });
  const io = new voice.FileIO(readFixture(FIXTURE), {});
  cleanup = async () => {
    await assistant.close();
    await io.close();
  };
  const log: Logged[] = [];
  let committed = 0;
  const done = new Promise<void>((resolve, reject) => {
    const names: (keyof voice.VoiceAssistantEvents)[] = [
      'user_started_speaking',
      'user_stopped_speaking',
      'user_speech_committed',
      'agent_speech_committed',
      'error',
    ];
    for (const event of names) {
      assistant.on(event, (payload: unknown) => {
        log.push({ event, payload });
        if (event === 'error') reject((payload as { error: Error }).error);
        if (event === 'agent_speech_committed' && ++committed === options.answers) resolve();
      });
    }
  });
  await assistant.start(io);
  // The fixture plays in real time (about 10 s with the answers); a busy machine stretches it.
  const budget = scaledMs(40_000);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        const seen = log.map((e) => e.event).join(', ');
        reject(new Error(`not ${options.answers} answers within ${budget} ms; saw ${seen}`));
      }, budget);
    }),
  ]).finally(() => clearTimeout(timer));
  return { log, llm, io };
}

const of = (log: Logged[], event: keyof voice.VoiceAssistantEvents) =>
  log.filter((e) => e.event === event);

describe('VoiceAssistant with the Silero VAD, on a speech fixture in real time', () => {
  it(
    'answers each spoken sentence once, between it and the next',
    async () => {
      const answers = ['Answer one.', 'Answer two.', 'Answer three.'];
      const { log, llm } = await converse({
        answers: 3,
        llm: answers,
        assistant: { minEndpointingDelay: 0.5 },
      });
      expect(
        of(log, 'user_speech_committed').map((e) => (e.payload as { text: string }).text),
      ).toEqual(SENTENCES);
      expect(
        of(log, 'agent_speech_committed').map((e) => (e.payload as { text: string }).text),
      ).toEqual(answers);
      // Silero heard three utterances, and each turn was committed before the next began.
      const order = log
        .filter((e) => e.event === 'user_started_speaking' || e.event === 'user_speech_committed')
        .map((e) => (e.event === 'user_started_speaking' ? 'speech' : 'turn'));
      expect(order).toEqual(['speech', 'turn', 'speech', 'turn', 'speech', 'turn']);
      // Preemptive: one request per turn, made on the final, reused at the commit.
      expect(llm.requests).toHaveLength(3);
      llm.assertDone();
    },
    scaledMs(60_000),
  );

  it(
    'gives one answer when the pauses are shorter than the endpointing delay',
    async () => {
      // 1.5 s of endpointing delay: the 1.0 s and 0.8 s pauses stay inside one utterance.
      const { log, llm } = await converse({
        answers: 1,
        // A preemptive reply on each final; the first two are cancelled as the words go on.
        llm: ['Not this.', 'Nor this.', 'One answer to all of it.'],
        assistant: { minEndpointingDelay: 1.5 },
      });
      expect(of(log, 'user_started_speaking')).toHaveLength(3);
      expect(of(log, 'user_stopped_speaking').length).toBeGreaterThanOrEqual(3);
      expect(
        of(log, 'user_speech_committed').map((e) => (e.payload as { text: string }).text),
      ).toEqual([SENTENCES.join(' ')]);
      expect(
        of(log, 'agent_speech_committed').map((e) => (e.payload as { text: string }).text),
      ).toEqual(['One answer to all of it.']);
      const lastRequest = llm.requests.at(-1)!.chatCtx.messages.at(-1);
      expect(lastRequest).toMatchObject({ role: 'user', content: SENTENCES.join(' ') });
    },
    scaledMs(60_000),
  );
});
