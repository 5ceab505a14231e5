export type { TimelineSVGOptions } from './svg.js';
export {
  Timeline,
  type TimelineData,
  type TimelineMark,
  type TimelineOptions,
  type TimelineProbe,
  type TimelineSeries,
  type TimelineSource,
} from './timeline.js';
