import type { VoicePipelineMetrics } from '../assistant-types.js';
import { el, num, points, text } from './svg-writer.js';
import type { TimelineData, TimelineMark, TimelineSeries } from './timeline.js';

export interface TimelineSVGOptions {
  /** Heading of the picture (default "Conversation timeline"). */
  title?: string;
  /** Clock time (ms) shown as 0 s, e.g. the start of a recording (default: the first thing recorded). */
  origin?: number;
  /** Horizontal scale (default 100 px per second), reduced if the picture would pass `maxWidth`. */
  pxPerSecond?: number;
  /** Widest picture, px (default 16 000). */
  maxWidth?: number;
}

const LEFT = 120;
const RIGHT = 24;
const FONT = 'font-family="ui-sans-serif, system-ui, sans-serif"';
const CHAR_PX = 6.2;
const TEXT_ROWS = 3;
const OUTCOME_FILL: Record<string, string> = {
  done: '#c8ecd0',
  interrupted: '#f6c7c3',
  cancelled: '#e2e2e2',
  failed: '#f0a8a0',
};
/** The stages of a turn's delay, in pipeline order, and their colours. */
const STAGES: { key: keyof VoicePipelineMetrics; label: string; color: string }[] = [
  { key: 'finalTranscriptAt', label: 'final transcript', color: '#7fb3d5' },
  { key: 'endOfTurnAt', label: 'end of turn', color: '#a68bd0' },
  { key: 'llmFirstTokenAt', label: 'LLM first token', color: '#e59866' },
  { key: 'ttsFirstAudioAt', label: 'TTS first byte', color: '#f4d03f' },
  { key: 'firstAudioPlayedAt', label: 'first audio', color: '#58b368' },
];

interface Lane {
  label: string;
  y: number;
  h: number;
}

/** Draws a recorded conversation as one SVG document. */
export function renderTimelineSVG(data: TimelineData, options: TimelineSVGOptions = {}): string {
  const { marks } = data;
  const turns = marks.filter((m) => m.type === 'turn').map((m) => m.metrics);
  const times = allTimes(data, turns);
  const first = times.length ? Math.min(...times) : 0;
  const origin = options.origin ?? first;
  const t0 = Math.min(origin, first);
  const t1 = Math.max(t0 + 1000, ...times) + 250;
  const maxWidth = options.maxWidth ?? 16_000;
  const pxPerMs = Math.min(
    (options.pxPerSecond ?? 100) / 1000,
    (maxWidth - LEFT - RIGHT) / (t1 - t0),
  );
  const width = LEFT + RIGHT + (t1 - t0) * pxPerMs;
  const x = (at: number) => LEFT + (at - t0) * pxPerMs;

  const lanes: Record<string, Lane> = {};
  let y = 64;
  for (const [key, label, h] of [
    ['user', 'user speech · VAD', 70],
    ['text', 'transcripts', TEXT_ROWS * 16 + 10],
    ['agent', 'agent speech · level', 70],
    ['pipeline', 'LLM · TTS · tools', 52],
    ['latency', 'turn latency', 40],
  ] as const) {
    lanes[key] = { label, y, h };
    y += h + 8;
  }
  const plotBottom = y - 8;
  const { svg: legendSvg, bottom: legendBottom } = legend(plotBottom + 22, width - RIGHT);
  const table = turnTable(turns, origin, legendBottom + 36);
  const height = table.bottom + 36;

  const parts: string[] = [
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
    `<text x="16" y="26" font-size="16" font-weight="bold" ${FONT}>${text(options.title ?? 'Conversation timeline')}</text>`,
    axis(t0, t1, origin, x, plotBottom),
  ];
  for (const lane of Object.values(lanes)) {
    parts.push(
      el('rect', {
        x: LEFT,
        y: lane.y,
        width: width - LEFT - RIGHT,
        height: lane.h,
        fill: 'none',
        stroke: '#dddddd',
      }),
      label(8, lane.y + 14, lane.label, { size: 11, color: '#444444' }),
    );
  }
  parts.push(
    userLane(data, lanes.user!, x),
    textLane(marks, lanes.text!, x),
    agentLane(data, lanes.agent!, x),
    pipelineLane(marks, turns, lanes.pipeline!, x),
    latencyLane(turns, lanes.latency!, x),
    endOfTurnLines(marks, lanes.user!.y, lanes.pipeline!.y + lanes.pipeline!.h, x),
    legendSvg,
    table.svg,
    label(16, height - 14, footer(data), { size: 10, color: '#777777' }),
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}">\n` +
    parts.filter(Boolean).join('\n') +
    '\n</svg>\n'
  );
}

function allTimes(data: TimelineData, turns: VoicePipelineMetrics[]): number[] {
  const times = data.marks.filter((m) => m.type !== 'turn').map((m) => m.at);
  for (const turn of turns) {
    for (const stage of [{ key: 'userSpeechEndedAt' }, ...STAGES]) {
      const at = turn[stage.key as keyof VoicePipelineMetrics];
      if (typeof at === 'number') times.push(at);
    }
  }
  for (const series of [data.vad, data.level]) {
    if (series.start === undefined) continue;
    times.push(series.start, series.start + series.values.length * series.bucketMs);
  }
  return times.filter(Number.isFinite);
}

function label(
  x: number,
  y: number,
  value: string,
  style: { size?: number; color?: string; anchor?: string; italic?: boolean } = {},
): string {
  const attrs = [
    `x="${num(x)}"`,
    `y="${num(y)}"`,
    `font-size="${style.size ?? 10}"`,
    `fill="${style.color ?? '#222222'}"`,
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    style.italic ? 'font-style="italic"' : '',
    FONT,
  ];
  return `<text ${attrs.filter(Boolean).join(' ')}>${text(value)}</text>`;
}

/** A hover tooltip (browsers show an element's <title>). */
function titled(shape: string, title: string): string {
  return `<g><title>${text(title)}</title>${shape}</g>`;
}

function seconds(at: number, origin: number): string {
  return `${((at - origin) / 1000).toFixed(2)} s`;
}

function axis(
  t0: number,
  t1: number,
  origin: number,
  x: (at: number) => number,
  bottom: number,
): string {
  const span = t1 - t0;
  const step =
    [500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000].find(
      (s) => (span / s) * 1 <= (x(t1) - x(t0)) / 70,
    ) ?? 600_000;
  const out: string[] = [];
  for (let tick = Math.ceil((t0 - origin) / step) * step; origin + tick <= t1; tick += step) {
    const at = x(origin + tick);
    out.push(
      el('line', { x1: at, y1: 52, x2: at, y2: bottom, stroke: '#eeeeee' }),
      label(at, 48, `${num(tick / 1000)} s`, { anchor: 'middle', color: '#666666' }),
    );
  }
  return out.join('\n');
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

function userLane(data: TimelineData, lane: Lane, x: (at: number) => number): string {
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

function textLane(marks: readonly TimelineMark[], lane: Lane, x: (at: number) => number): string {
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

function agentLane(data: TimelineData, lane: Lane, x: (at: number) => number): string {
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

function pipelineLane(
  marks: readonly TimelineMark[],
  turns: VoicePipelineMetrics[],
  lane: Lane,
  x: (at: number) => number,
): string {
  const out: string[] = [];
  for (const turn of turns) {
    if (turn.llmFirstTokenAt !== undefined) {
      const at = x(turn.llmFirstTokenAt);
      out.push(
        titled(
          diamond(at, lane.y + 10, '#e59866') + label(at + 7, lane.y + 14, 'LLM first token'),
          `LLM first token: ${turn.llmTtftMs?.toFixed(0) ?? '?'} ms after the request`,
        ),
      );
    }
    if (turn.ttsFirstAudioAt !== undefined) {
      const at = x(turn.ttsFirstAudioAt);
      out.push(
        titled(
          diamond(at, lane.y + 24, '#c9a800') + label(at + 7, lane.y + 28, 'TTS first byte'),
          `TTS first byte: ${turn.ttsTtfbMs?.toFixed(0) ?? '?'} ms after the request`,
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

function latencyLane(turns: VoicePipelineMetrics[], lane: Lane, x: (at: number) => number): string {
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

function endOfTurnLines(
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

function legend(top: number, right: number): { svg: string; bottom: number } {
  const items: [string, string][] = [
    ['#dbe9f7', 'user speaking'],
    ['#1f6fb5', 'VAD probability'],
    ['#c8ecd0', 'agent speaking'],
    ['#2e7d32', 'agent level heard'],
    ['#ef8a17', 'output gain (ducking)'],
    ['#7d3c98', 'end of turn'],
    ['#c0392b', 'interruption'],
    ['#8e44ad', 'tool calls'],
    ...STAGES.map((s): [string, string] => [s.color, `→ ${s.label}`]),
  ];
  let at = LEFT;
  let y = top;
  const svg = items
    .map(([color, name]) => {
      const itemWidth = 22 + name.length * CHAR_PX;
      if (at > LEFT && at + itemWidth > right) {
        at = LEFT;
        y += 16;
      }
      const item =
        el('rect', { x: at, y: y - 9, width: 10, height: 10, fill: color }) +
        label(at + 14, y, name);
      at += itemWidth;
      return item;
    })
    .join('\n');
  return { svg, bottom: y };
}

/** One line per turn: each stage's time after the end of the user's speech. */
function turnTable(
  turns: VoicePipelineMetrics[],
  origin: number,
  top: number,
): { svg: string; bottom: number } {
  const lines = turns.map((turn, i) => {
    const start = turn.userSpeechEndedAt;
    const when = start === undefined ? '' : ` (user stopped at ${seconds(start, origin)})`;
    const head = `#${i + 1}${when}`;
    const stages = STAGES.flatMap((stage) => {
      const at = turn[stage.key] as number | undefined;
      if (at === undefined || start === undefined) return [];
      return [`${stage.label} +${(at - start).toFixed(0)} ms`];
    });
    return `${head}: ${stages.join(' · ') || 'no timings'}`;
  });
  if (lines.length === 0) lines.push('no completed turn');
  const svg = [
    label(16, top, 'Turns (time after the end of the user’s speech)', {
      size: 12,
      color: '#222222',
    }),
    ...lines.map((line, i) => label(16, top + 18 + i * 16, line, { size: 11 })),
  ].join('\n');
  return { svg, bottom: top + 18 + lines.length * 16 };
}

function footer(data: TimelineData): string {
  const bucket =
    data.vad.bucketMs === data.level.bucketMs
      ? `${data.vad.bucketMs} ms`
      : `${data.vad.bucketMs}/${data.level.bucketMs} ms`;
  const dropped = data.droppedMarks
    ? `; ${data.droppedMarks} later events not recorded (maxEvents)`
    : '';
  return `VAD probability and output level: peak per ${bucket}; hover a mark for details${dropped}`;
}
