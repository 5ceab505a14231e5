import type { VoicePipelineMetrics } from '../assistant-types.js';
import {
  agentLane,
  CHAR_PX,
  endOfTurnLines,
  type Lane,
  LEFT,
  label,
  latencyLane,
  pipelineLane,
  RIGHT,
  STAGES,
  TEXT_ROWS,
  textLane,
  userLane,
} from './svg-lanes.js';
import { el, num } from './svg-writer.js';
import type { TimelineData } from './timeline.js';

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
    label(16, 26, options.title ?? 'Conversation timeline', { size: 16, bold: true }),
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
