import type { AgentMetrics, ModelEvents } from '../metrics/base.js';
import type { TypedEventEmitter } from './emitter.js';

type ModelEmitter = TypedEventEmitter<ModelEvents<AgentMetrics>>;

/**
 * Forwards a wrapped model's metrics to its wrapper (a StreamAdapter) while
 * something of the wrapper's is using it: an open stream, a call under way.
 * The listener is on the wrapped model only while held, so a wrapper that is
 * done with leaves nothing behind on a model that lives on (shared by jobs,
 * wrapped again).
 */
export class MetricsRelay {
  readonly #source: ModelEmitter;
  readonly #forward: (metrics: AgentMetrics) => void;
  #holders = 0;

  constructor(source: ModelEmitter, target: ModelEmitter) {
    this.#source = source;
    this.#forward = (metrics) => target.emit('metrics_collected', metrics);
  }

  /** Starts forwarding (if not yet); the returned release may be called more than once. */
  hold(): () => void {
    if (this.#holders++ === 0) this.#source.on('metrics_collected', this.#forward);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holders === 0) this.#source.off('metrics_collected', this.#forward);
    };
  }

  /** Holds until the wrapped model reports the metrics of `requestId`. */
  holdUntilReported(requestId: string): void {
    const release = this.hold();
    const onMetrics = (metrics: AgentMetrics) => {
      if (metrics.requestId !== requestId) return;
      this.#source.off('metrics_collected', onMetrics);
      release();
    };
    this.#source.on('metrics_collected', onMetrics);
  }
}
