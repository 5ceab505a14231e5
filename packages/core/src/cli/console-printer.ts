import type { VoiceAssistantEvents, VoicePipelineMetrics } from '../voice/assistant-types.js';

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
  readonly #metrics: VoicePipelineMetrics[] = [];

  /** `timeline` turns a clock time (ms) into seconds on the audio timeline. */
  constructor(options: {
    json: boolean;
    timeline: (at: number) => number;
    write?: (line: string) => void;
  }) {
    this.#json = options.json;
    this.#timeline = options.timeline;
    this.#write = options.write ?? ((line) => void process.stdout.write(`${line}\n`));
  }

  /** One event of the assistant, at `t` seconds on the timeline. */
  event<E extends EventName>(name: E, t: number, payload: VoiceAssistantEvents[E]): void {
    if (name === 'metrics_collected') this.#metrics.push(payload as VoicePipelineMetrics);
    if (this.#json) {
      const fields = jsonPayload(name, payload, this.#timeline);
      this.#write(JSON.stringify({ type: name, t: round(t), ...fields }));
      return;
    }
    const line = describe(name, payload);
    if (line !== undefined) this.#write(`[${t.toFixed(2).padStart(6)}s] ${line}`);
  }

  /** A line of the command's own (start, end, where the recording went). */
  note(type: string, t: number, fields: Record<string, unknown>, text: string): void {
    if (this.#json) this.#write(JSON.stringify({ type, t: round(t), ...fields }));
    else this.#write(`[${t.toFixed(2).padStart(6)}s] ${text}`);
  }

  /** The per-turn latency table (nothing in JSON mode: the metrics events carry it). */
  summary(): void {
    if (this.#json) return;
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
