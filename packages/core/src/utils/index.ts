export {
  AsyncStream,
  type AsyncStreamOptions,
  DuplexStream,
  type DuplexStreamOptions,
  FLUSH,
  type Flush,
  StreamClosedError,
  StreamFullError,
} from './async-stream.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { abortable, DeadlineError, errorMessage, withDeadline } from './deadline.js';
export { type EventArgs, type Listener, TypedEventEmitter } from './emitter.js';
export { ExpFilter } from './exp-filter.js';
export { Future } from './future.js';
export {
  type AttemptOptions,
  IdleDeadline,
  type IdleDeadlineOptions,
  runAttempt,
} from './idle-deadline.js';
export { shortId } from './ids.js';
export { Interval, IntervalClosedError, type IntervalOptions, interval } from './interval.js';
export { MovingAverage } from './moving-average.js';
export {
  AsyncQueue,
  type AsyncQueueOptions,
  QueueClosedError,
  type TryGetResult,
} from './queue.js';
export {
  isRetryable,
  type RetryOptions,
  retryBeforeOutput,
  retryDelay,
  retryOptionsFor,
  withRetry,
} from './retry.js';
export { sleep } from './sleep.js';
