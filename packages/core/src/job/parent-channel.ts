import { withDeadline } from '../utils/deadline.js';
import type { ChildMessage } from './ipc.js';

/**
 * The child's end of the IPC channel. `process.send` queues without limit and
 * offers no way to wait for its queue; this counts the messages in flight, so
 * the log forwarder can bound them and the process can wait for its last
 * words (`job_done`, final log lines) to leave before it exits.
 */
export class ParentChannel {
  #inFlight = 0;
  #onDrained: Array<() => void> = [];

  /** False once the parent has gone (or closed the channel): nothing can be sent. */
  get connected(): boolean {
    return process.connected === true;
  }

  /** Messages handed to `process.send` and not yet written to the pipe. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sends `message`; false (and nothing sent) when the parent is gone. */
  send(message: ChildMessage): boolean {
    if (!this.connected || !process.send) return false;
    this.#inFlight++;
    // A send error means the channel closed; the 'disconnect' handler deals with that.
    process.send(message, undefined, undefined, () => {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#onDrained.splice(0)) resolve();
    });
    return true;
  }

  /** Waits until everything sent so far is written, for at most `timeoutMs`; never rejects. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.#inFlight === 0 || !this.connected) return;
    const drained = new Promise<void>((resolve) => this.#onDrained.push(resolve));
    await withDeadline(drained, timeoutMs, 'IPC flush').catch(() => {});
  }
}
