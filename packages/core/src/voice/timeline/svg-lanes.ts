import type { VoicePipelineMetrics } from '../assistant-types.js';
import { el, num, points, text } from './svg-writer.js';
import type { TimelineData, TimelineMark, TimelineSeries } from './timeline.js';

// The lanes of the picture, one function each; `x` maps a clock time to a
// horizontal position.

export const LEFT = 120;
export const RIGHT = 24;
const FONT = 'font-family="ui-sans-serif, system-ui, sans-serif"';
export const CHAR_PX = 6.2;
export const TEXT_ROWS = 3;
const OUTCOME_FILL: Record<string, string> = {
  done: '#c8ecd0',
  interrupted: '#f6c7c3',
  cancelled: '#e2e2e2',
  failed: '#f0a8a0',
};
/** The stages of a turn's delay, in pipeline order, and their colours. */
export const STAGES: { key: keyof VoicePipelineMetrics; label: string; color: string }[] = [
  { key: 'finalTranscriptAt', label: 'final transcript', color: '#7fb3d5' },
  { key: 'endOfTurnAt', label: 'end of turn', color: '#a68bd0' },
  { key: 'llmFirstTokenAt', label: 'LLM first token', color: '#e59866' },
  { key: 'ttsFirstAudioAt', label: 'TTS first byte', color: '#f4d03f' },
  { key: 'firstAudioPlayedAt', label: 'first audio', color: '#58b368' },
];

export interface Lane {
  label: string;
  y: number;
  h: number;
}

export function label(
  x: number,
  y: number,
  value: string,
  style: { size?: number; color?: string; anchor?: string; italic?: boolean; bold?: boolean } = {},
): string {
  const attrs = [
    `x="${num(x)}"`,
    `y="${num(y)}"`,
    `font-size="${style.size ?? 10}"`,
    `fill="${style.color ?? '#222222'}"`,
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    style.italic ? 'font-style="italic"' : '',
    style.bold ? 'font-weight="bold"' : '',
    FONT,
  ];
  return `<text ${attrs.filter(Boolean).join(' ')}>${text(value)}</text>`;
}

/** A hover tooltip (browsers show an element's <title>). */
export function titled(shape: string, title: string): string {
  return `<g><title>${text(title)}</title>${shape}</g>`;
}

function spans(
  marks: readonly TimelineMark[],
  start: TimelineMark['type'],
  stop: TimelineMark['type'],
  end: number,
): { from: number; to: number; stopMark?: TimelineMark }[] {
  const out: { from: number; to: number; stopMark?: TimelineMark }[] = [];
  let open: number | undefined;
  for (const mark of marks) {
    if (mark.type === start && open === undefined) open = mark.at;
    else if (mark.type === stop && open !== undefined) {
      out.push({ from: open, to: mark.at, stopMark: mark });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ from: open, to: end });
  return out;
}

function lastTime(marks: readonly TimelineMark[]): number {
  return marks.reduce((last, m) => Math.max(last, m.at), 0);
}

/** A series as polylines (broken where there is no data); `scale` maps a value to 0..1. */
function seriesLine(
  series: TimelineSeries,
  lane: Lane,
  x: (at: number) => number,
  scale: (v: number) => number,
  style: string,
  zeroGaps: boolean,
): string {
  if (series.start === undefined) return '';
  const lines: [number, number][][] = [];
  let current: [number, number][] = [];
  const bottom = lane.y + lane.h - 4;
  const height = lane.h - 8;
  series.values.forEach((value, i) => {
    const v = value < 0 ? (zeroGaps ? 0 : undefined) : value;
    if (v === undefined) {
      if (current.length) lines.push(current);
      current = [];
      return;
    }
    const at = series.start! + (i + 0.5) * series.bucketMs;
    current.push([x(at), bottom - scale(v) * height]);
  });
  if (current.length) lines.push(current);
  return lines
    .map((line) => `<polyline fill="none" ${style} points="${points(line)}"/>`)
    .join('\n');
}

export function userLane(data: TimelineData, lane: Lane, x: (at: number) => number): string {
  const out = spans(data.marks, 'user_started', 'user_stopped', lastTime(data.marks)).map((s) =>
    el('rect', {
      x: x(s.from),
      y: lane.y + 2,
      width: x(s.to) - x(s.from),
      height: lane.h - 4,
      fill: '#dbe9f7',
    }),
  );
  out.push(
    seriesLine(
      data.vad,
      lane,
      x,
      (v) => Math.min(1, v),
      'stroke="#1f6fb5" stroke-width="1.2"',
      false,
    ),
  );
  return out.join('\n');
}

export function textLane(
  marks: readonly TimelineMark[],
  lane: Lane,
  x: (at: number) => number,
): string {
  const free = new Array<number>(TEXT_ROWS).fill(-Infinity);
  const out: string[] = [];
  for (const mark of marks) {
    if (mark.type !== 'interim' && mark.type !== 'final') continue;
    const at = x(mark.at);
    const final = mark.type === 'final';
    const tick = el('line', {
      x1: at,
      y1: lane.y + 2,
      x2: at,
      y2: lane.y + lane.h - 2,
      stroke: final ? '#1f6fb5' : '#bbbbbb',
    });
    const row = free.findIndex((end) => end <= at);
    if (row < 0) {
      out.push(titled(tick, `${final ? 'final' : 'interim'}: ${mark.text}`));
      continue;
    }
    const shown = mark.text.length > 60 ? `${mark.text.slice(0, 59)}…` : mark.text;
    free[row] = at + shown.length * CHAR_PX + 8;
    out.push(
      titled(
        tick +
          label(at + 3, lane.y + 14 + row * 16, shown, {
            color: final ? '#12385c' : '#888888',
            italic: !final,
          }),
        `${final ? 'final' : 'interim'} transcript: ${mark.text}`,
      ),
    );
  }
  return out.join('\n');
}

export function agentLane(data: TimelineData, lane: Lane, x: (at: number) => number): string {
  const out: string[] = [];
  for (const s of spans(data.marks, 'agent_started', 'agent_stopped', lastTime(data.marks))) {
    const outcome = s.stopMark?.type === 'agent_stopped' ? s.stopMark.outcome : 'done';
    out.push(
      titled(
        el('rect', {
          x: x(s.from),
          y: lane.y + 2,
          width: x(s.to) - x(s.from),
          height: lane.h - 4,
          fill: OUTCOME_FILL[outcome] ?? '#e2e2e2',
        }),
        `agent speech (${outcome}), ${((s.to - s.from) / 1000).toFixed(2)} s`,
      ),
    );
  }
  const peak = data.level.values.reduce((a, b) => Math.max(a, b), 1e-6);
  out.push(
    seriesLine(data.level, lane, x, (v) => v / peak, 'stroke="#2e7d32" stroke-width="1"', true),
  );
  // The gain the assistant asked for: steps show ducking while the user seems to speak.
  const gains = data.marks.filter((m) => m.type === 'gain');
  if (gains.length) {
    const bottom = lane.y + lane.h - 4;
    const h = lane.h - 8;
    const xy: [number, number][] = [];
    for (const [i, g] of gains.entries()) {
      const prev = gains[i - 1];
      if (prev) xy.push([x(g.at), bottom - prev.gain * h]);
      xy.push([x(g.at), bottom - g.gain * h]);
    }
    xy.push([x(lastTime(data.marks)), bottom - gains.at(-1)!.gain * h]);
    out.push(
      `<polyline fill="none" stroke="#ef8a17" stroke-dasharray="4 3" points="${points(xy)}"/>`,
    );
  }
  for (const mark of data.marks) {
    const at = x(mark.at);
    if (mark.type === 'interrupted') {
      out.push(
        titled(flag(at, lane.y, '#c0392b', 'interrupted'), `interrupted; heard: ${mark.heardText}`),
      );
    } else if (mark.type === 'false_interruption') {
      out.push(
        titled(
          flag(at, lane.y, '#d68910', 'false interruption'),
          `false interruption${mark.resumed ? ', resumed' : ''}`,
        ),
      );
    } else if (mark.type === 'paused' || mark.type === 'resumed') {
      out.push(
        titled(
          el('line', {
            x1: at,
            y1: lane.y + lane.h - 14,
            x2: at,
            y2: lane.y + lane.h - 2,
            stroke: '#d68910',
            'stroke-width': 2,
          }),
          `output ${mark.type}`,
        ),
      );
    }
  }
  return out.join('\n');
}

function flag(at: number, top: number, color: string, name: string): string {
  return (
    `<polygon points="${points([
      [at - 5, top],
      [at + 5, top],
      [at, top + 8],
    ])}" fill="${color}"/>` +
    el('line', { x1: at, y1: top, x2: at, y2: top + 70, stroke: color, 'stroke-width': 1.5 }) +
    label(at + 7, top + 10, name, { color })
  );
}

function diamond(at: number, y: number, color: string): string {
  return `<polygon points="${points([
    [at, y - 5],
    [at + 5, y],
    [at, y + 5],
    [at - 5, y],
  ])}" fill="${color}"/>`;
}

export function pipelineLane(
  marks: readonly TimelineMark[],
  turns: VoicePipelineMetrics[],
  lane: Lane,
  x: (at: number) => number,
): string {
  const out: string[] = [];
  for (const turn of turns) {
    const firsts = [
      ['LLM first token', turn.llmFirstTokenAt, turn.llmTtftMs, 10, '#e59866'],
      ['TTS first byte', turn.ttsFirstAudioAt, turn.ttsTtfbMs, 24, '#c9a800'],
    ] as const;
    for (const [name, when, ms, dy, color] of firsts) {
      if (when === undefined) continue;
      const at = x(when);
      out.push(
        titled(
          diamond(at, lane.y + dy, color) + label(at + 7, lane.y + dy + 4, name),
          `${name}: ${ms?.toFixed(0) ?? '?'} ms after the request`,
        ),
      );
    }
  }
  const pending = new Map<string, number>();
  for (const mark of marks) {
    if (mark.type === 'tool_calls') pending.set(mark.speechId, mark.at);
    if (mark.type !== 'tool_results') continue;
    const from = pending.get(mark.speechId) ?? mark.at;
    pending.delete(mark.speechId);
    const names = mark.names.join(', ');
    out.push(
      titled(
        el('rect', {
          x: x(from),
          y: lane.y + 34,
          width: Math.max(3, x(mark.at) - x(from)),
          height: 12,
          fill: '#8e44ad',
          rx: 2,
        }) +
          label(Math.max(x(from) + 3, x(mark.at)) + 4, lane.y + 44, `tool: ${names}`, {
            color: '#6c3483',
          }),
        `tool calls: ${names} (${(mark.at - from).toFixed(0)} ms)`,
      ),
    );
  }
  return out.join('\n');
}

export function latencyLane(
  turns: VoicePipelineMetrics[],
  lane: Lane,
  x: (at: number) => number,
): string {
  const out: string[] = [];
  for (const [i, turn] of turns.entries()) {
    const start = turn.userSpeechEndedAt;
    if (start === undefined) continue;
    let previous = start;
    for (const stage of STAGES) {
      const at = turn[stage.key] as number | undefined;
      if (at === undefined) continue;
      const to = Math.max(previous, at);
      out.push(
        titled(
          el('rect', {
            x: x(previous),
            y: lane.y + 8,
            width: x(to) - x(previous),
            height: 14,
            fill: stage.color,
          }),
          `→ ${stage.label}: +${(to - previous).toFixed(0)} ms`,
        ),
      );
      previous = to;
    }
    const total = turn.endToEndMs === undefined ? '' : ` ${turn.endToEndMs.toFixed(0)} ms`;
    out.push(label(x(previous) + 4, lane.y + 19, `#${i + 1}${total}`, { size: 11 }));
  }
  return out.join('\n');
}

export function endOfTurnLines(
  marks: readonly TimelineMark[],
  top: number,
  bottom: number,
  x: (at: number) => number,
): string {
  return marks
    .filter((m) => m.type === 'end_of_turn')
    .map((m) =>
      titled(
        el('line', {
          x1: x(m.at),
          y1: top,
          x2: x(m.at),
          y2: bottom,
          stroke: '#7d3c98',
          'stroke-dasharray': '3 3',
        }),
        `end of turn: ${m.text}`,
      ),
    )
    .join('\n');
}
