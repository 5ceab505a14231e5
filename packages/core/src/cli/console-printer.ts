import type { VoiceAssistantEvents, VoicePipelineMetrics } from '../voice/assistant-types.js';
import type { HeardWordEvent } from './console-transcript.js';

type EventName = keyof VoiceAssistantEvents;

/**
 * Prints the conversation of a console run: readable lines as it happens and
 * a latency table at the end, or (`json`) one JSON object per line, each with
 * `t`, its time in seconds on the audio timeline (0 = the input's first sample).
 */
export class ConsolePrinter {
  readonly #json: boolean;
  readonly #write: (line: string) => void;
  readonly #timeline: (at: number) => number;
  /** Writes part of a line; without it (a line-based `write`) an agent line is printed whole at its end. */
  readonly #stream: ((chunk: string) => void) | undefined;
  readonly #metrics: VoicePipelineMetrics[] = [];
  /** An agent line is being written word by word (no newline yet). */
  #agentLineOpen = false;
  /** Words of the current agent segment were already printed: its committed text is not printed again. */
  #agentShown = false;

  /** `timeline` turns a clock time (ms) into seconds on the audio timeline. */
  constructor(options: {
    json: boolean;
    timeline: (at: number) => number;
    write?: (line: string) => void;
  }) {
    this.#json = options.json;
    this.#timeline = options.timeline;
    const stream = (chunk: string) => void process.stdout.write(chunk);
    this.#stream = options.write ? undefined : stream;
    this.#write = options.write ?? ((line) => stream(`${line}\n`));
  }

  /**
   * A word of the agent as it is heard (`start`, `end`: seconds on the
   * timeline). Readable: appended to the agent's line; JSON: one
   * `agent_transcript` event, `final: false`.
   */
  agentWord(word: HeardWordEvent, first: boolean): void {
    if (this.#json) {
      this.#line(
        JSON.stringify({
          type: 'agent_transcript',
          t: round(word.start),
          end: round(word.end),
          text: word.text,
          final: false,
        }),
      );
      return;
    }
    if (!this.#stream) return;
    if (this.#agentLineOpen) this.#stream(` ${word.text}`);
    else {
      // A line printed in between ended the open one: the segment goes on on a new line.
      this.#stream(`${stamp(word.start)} agent: ${first ? '' : '… '}${word.text}`);
      this.#agentLineOpen = true;
    }
  }

  /** The agent's segment ended (heard whole or cut off): JSON `agent_transcript`, `final: true`. */
  agentSegmentEnd(words: HeardWordEvent[]): void {
    const text = words.map((w) => w.text).join(' ');
    this.#agentShown = true;
    if (this.#json) {
      this.#line(
        JSON.stringify({
          type: 'agent_transcript',
          t: round(words.at(-1)!.end),
          start: round(words[0]!.start),
          text,
          final: true,
        }),
      );
      return;
    }
    if (this.#stream) this.#closeAgentLine();
    else this.#write(`${stamp(words[0]!.start)} agent: ${text}`);
  }

  /** One event of the assistant, at `t` seconds on the timeline. */
  event<E extends EventName>(name: E, t: number, payload: VoiceAssistantEvents[E]): void {
    if (name === 'metrics_collected') this.#metrics.push(payload as VoicePipelineMetrics);
    if (this.#json) {
      const fields = jsonPayload(name, payload, this.#timeline);
      this.#line(JSON.stringify({ type: name, t: round(t), ...fields }));
      return;
    }
    if (name === 'agent_speech_committed' && this.#agentShown) {
      // Its words were printed as they were heard.
      this.#agentShown = false;
      return;
    }
    const line = describe(name, payload);
    if (line !== undefined) this.#line(`${stamp(t)} ${line}`);
  }

  /** A line of the command's own (start, end, where the recording went). */
  note(type: string, t: number, fields: Record<string, unknown>, text: string): void {
    if (this.#json) this.#line(JSON.stringify({ type, t: round(t), ...fields }));
    else this.#line(`${stamp(t)} ${text}`);
  }

  /** A whole line, after ending an agent line still being written. */
  #line(line: string): void {
    this.#closeAgentLine();
    this.#write(line);
  }

  #closeAgentLine(): void {
    if (!this.#agentLineOpen) return;
    this.#agentLineOpen = false;
    this.#stream?.('\n');
  }

  /** The per-turn latency table (nothing in JSON mode: the metrics events carry it). */
  summary(): void {
    if (this.#json) return;
    this.#closeAgentLine();
    if (this.#metrics.length === 0) {
      this.#write('\nNo agent turns: no latency to report.');
      return;
    }
    const rows = this.#metrics.map((m, index) => [
      String(index + 1),
      ms(since(m.finalTranscriptAt, m.userSpeechEndedAt)),
      ms(since(m.endOfTurnAt, m.userSpeechEndedAt)),
      ms(m.llmTtftMs),
      ms(m.ttsTtfbMs),
      ms(m.endToEndMs ?? since(m.firstAudioPlayedAt, m.userSpeechEndedAt)),
    ]);
    const header = ['turn', 'transcript', 'end of turn', 'LLM TTFT', 'TTS TTFB', 'end-to-end'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const format = (cells: string[]) =>
      cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ');
    this.#write(
      '\nLatency per turn (ms; transcript, end of turn and end-to-end from the end of user speech):',
    );
    this.#write(format(header));
    for (const row of rows) this.#write(format(row));
  }
}

function stamp(t: number): string {
  return `[${t.toFixed(2).padStart(6)}s]`;
}

function describe<E extends EventName>(
  name: E,
  payload: VoiceAssistantEvents[E],
): string | undefined {
  const p = payload as Record<string, unknown>;
  switch (name) {
    case 'user_speech_committed':
      return `user: ${p.text}`;
    case 'agent_speech_committed':
      return `agent: ${p.text}${p.interrupted ? ' [interrupted]' : ''}`;
    case 'agent_speech_interrupted':
      return `-- user interrupted the agent (heard: "${p.heardText}")`;
    case 'agent_speech_paused':
      return '-- the agent paused: the user spoke over it';
    case 'agent_false_interruption':
      return `-- false interruption${p.resumed ? ': the agent resumed' : ''}`;
    case 'function_calls_collected': {
      const calls = p.calls as { name: string; arguments: string }[];
      return calls.map((call) => `tool call: ${call.name}(${call.arguments})`).join('\n         ');
    }
    case 'function_calls_finished': {
      const calls = p.calls as { name: string }[];
      const results = p.results as unknown[];
      return calls
        .map((call, i) => `tool result: ${call.name} → ${preview(results[i])}`)
        .join('\n         ');
    }
    case 'error': {
      const { error, source, recoverable } = payload as VoiceAssistantEvents['error'];
      return `error (${source}${recoverable ? ', the conversation goes on' : ''}): ${error.message}`;
    }
    default:
      return undefined;
  }
}

function jsonPayload<E extends EventName>(
  name: E,
  payload: VoiceAssistantEvents[E],
  timeline: (at: number) => number,
): object {
  if (name === 'metrics_collected') {
    // Clock times become timeline seconds, like every `t`; durations stay in ms.
    const m = payload as VoicePipelineMetrics;
    const on = (at: number | undefined) => (at === undefined ? undefined : round(timeline(at)));
    return {
      speechId: m.speechId,
      userSpeechEnded: on(m.userSpeechEndedAt),
      finalTranscript: on(m.finalTranscriptAt),
      endOfTurn: on(m.endOfTurnAt),
      llmFirstToken: on(m.llmFirstTokenAt),
      ttsFirstAudio: on(m.ttsFirstAudioAt),
      firstAudioPlayed: on(m.firstAudioPlayedAt),
      llmTtftMs: m.llmTtftMs,
      ttsTtfbMs: m.ttsTtfbMs,
      endToEndMs: m.endToEndMs === undefined ? undefined : Math.round(m.endToEndMs),
    };
  }
  if (name === 'error') {
    const { error, source, recoverable } = payload as VoiceAssistantEvents['error'];
    return { source, recoverable, message: error.message };
  }
  // `at` is on the process clock; `t` says the same on the audio timeline.
  const { at: _at, ...rest } = payload as { at?: number };
  return rest;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function since(at: number | undefined, from: number | undefined): number | undefined {
  return at === undefined || from === undefined ? undefined : at - from;
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : String(Math.round(value));
}

export function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
