import type { AudioFrame } from '@livekit/rtc-node';
import { readWavFile } from '../../audio/wav.js';
import type { TextOutput, VoiceIO } from '../io.js';
import { type Clock, realClock } from './clock.js';
import { FileAudioInput } from './file-input.js';
import { ConversationRecorder } from './recorder.js';
import { RecordingAudioOutput } from './recording-output.js';

export interface FileIOOptions {
  /** The user's side: a WAV file (any rate and channel count) or its decoded audio. */
  input: string | AudioFrame;
  /** Where `close()` writes the stereo recording (user left, agent right); none when unset. */
  output?: string;
  /** Default: real time. A `VirtualClock` for deterministic tests. */
  clock?: Clock;
  /** Rate of the agent's output and of the recording (default 24000 Hz). */
  sampleRate?: number;
  /** Rate the user's audio is delivered at (default: the file's). */
  inputSampleRate?: number;
  /** Once the file is done: silence until closed (default; lets VAD see the end of speech) or end. */
  afterInputEnd?: 'silence' | 'end';
  /** Longest recording kept (default 30 minutes). */
  maxRecordingSeconds?: number;
  agentTranscript?: TextOutput;
  userTranscript?: TextOutput;
}

/**
 * The file binding: the user's audio from a WAV file, paced in real time (or
 * on a virtual clock), and the agent's audio played on the same clock into a
 * stereo recording of the whole conversation. `close()` stops both and
 * writes the recording.
 */
export class FileIO implements VoiceIO {
  readonly input: FileAudioInput;
  readonly output: RecordingAudioOutput;
  readonly recorder: ConversationRecorder;
  readonly agentTranscript: TextOutput | undefined;
  readonly userTranscript: TextOutput | undefined;
  readonly now: () => number;
  /** The clock's timers, so the assistant's timers follow a virtual clock too. */
  readonly setTimer: (ms: number, callback: () => void) => () => void;
  readonly recordingPath: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(audio: AudioFrame, options: Omit<FileIOOptions, 'input'>) {
    const clock = options.clock ?? realClock;
    const sampleRate = options.sampleRate ?? 24_000;
    this.now = () => clock.now();
    this.setTimer = (ms, callback) => clock.setTimer(ms, callback);
    this.recorder = new ConversationRecorder({
      sampleRate,
      maxSeconds: options.maxRecordingSeconds,
    });
    this.input = new FileAudioInput(audio, {
      clock,
      recorder: this.recorder,
      sampleRate: options.inputSampleRate,
      afterEnd: options.afterInputEnd,
    });
    this.output = new RecordingAudioOutput({ clock, sampleRate, recorder: this.recorder });
    this.agentTranscript = options.agentTranscript;
    this.userTranscript = options.userTranscript;
    this.recordingPath = options.output;
  }

  /** Seconds from the start of the conversation (the recording's time zero) to clock time `at`. */
  timelineSeconds(at: number): number {
    const origin = this.recorder.origin ?? this.input.startedAt ?? at;
    return (at - origin) / 1000;
  }

  /** Stops input and output and writes the recording (once; later calls wait for the first). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.input.close();
      await this.output.close();
      if (this.recordingPath !== undefined) await this.recorder.save(this.recordingPath);
    })();
    return this.#closing;
  }
}

/** Reads the input WAV (errors name the file and what is wrong) and builds the file binding. */
export async function createConsoleIO(options: FileIOOptions): Promise<FileIO> {
  const audio =
    typeof options.input === 'string' ? await readWavFile(options.input) : options.input;
  return new FileIO(audio, options);
}
