import type { TextOutput, TimedText } from '../voice/io.js';
import type { ConsolePrinter } from './console-printer.js';

/** One word of the agent, placed on the recording's timeline (seconds). */
export interface HeardWordEvent {
  text: string;
  start: number;
  end: number;
}

export interface ConsoleAgentTranscriptOptions {
  printer: ConsolePrinter;
  /** Seconds of the current agent segment played (the output's playhead). */
  playhead: () => number;
  /** Now, in seconds on the recording's timeline. */
  now: () => number;
}

/**
 * The console's agent transcript: the words as the forwarder releases them
 * (each once its middle has been played), handed to the printer with their
 * place in the recording. A word's place is read off the playhead: if the
 * playhead is at `p` s of the segment now, at `T` s of the recording, the
 * word's `start` s into the segment was heard at `T - (p - start)`.
 */
export class ConsoleAgentTranscript implements TextOutput {
  readonly #options: ConsoleAgentTranscriptOptions;
  readonly #words: HeardWordEvent[] = [];

  constructor(options: ConsoleAgentTranscriptOptions) {
    this.#options = options;
  }

  async captureText(text: string | TimedText): Promise<void> {
    const piece = typeof text === 'string' ? { text } : text;
    const word = piece.text.trim();
    if (!word) return;
    const now = this.#options.now();
    const playhead = this.#options.playhead();
    // A word's end may be ahead of the playhead (only its middle had to play): later than now.
    const at = (seconds: number | undefined) =>
      seconds === undefined || !Number.isFinite(seconds)
        ? now
        : Math.max(0, now + (seconds - playhead));
    const event = { text: word, start: at(piece.start), end: at(piece.end) };
    this.#words.push(event);
    this.#options.printer.agentWord(event, this.#words.length === 1);
  }

  flush(): void {
    if (this.#words.length === 0) return;
    const words = this.#words.splice(0);
    this.#options.printer.agentSegmentEnd(words);
  }
}
