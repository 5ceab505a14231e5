import type { TextOutput, TimedText } from '../io.js';

export interface ConsoleTextOutputOptions {
  /** Printed in front of each segment, e.g. `agent` gives `agent: Hello there.` */
  label: string;
  /** Where the text goes (default: standard output). */
  write?: (chunk: string) => void;
}

/**
 * Prints a transcript as it comes: one line per segment, its words appended
 * as they are captured (so an agent's words appear in step with playout).
 */
export class ConsoleTextOutput implements TextOutput {
  readonly label: string;
  readonly #write: (chunk: string) => void;
  #lineOpen = false;

  constructor(options: ConsoleTextOutputOptions) {
    this.label = options.label;
    this.#write = options.write ?? ((chunk) => void process.stdout.write(chunk));
  }

  async captureText(text: string | TimedText): Promise<void> {
    const words = typeof text === 'string' ? text : text.text;
    if (words === '') return;
    if (!this.#lineOpen) {
      this.#write(`${this.label}: `);
      this.#lineOpen = true;
    }
    this.#write(words);
  }

  flush(): void {
    if (!this.#lineOpen) return;
    this.#write('\n');
    this.#lineOpen = false;
  }
}
