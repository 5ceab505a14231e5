/** A message as the socket keeps it: the data and its size on the wire. */
export interface BufferedMessage {
  data: string | Uint8Array;
  bytes: number;
}

export function message(data: string | Uint8Array): BufferedMessage {
  return {
    data,
    bytes: typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength,
  };
}

/**
 * What `ReconnectingSocket.send()` keeps while the connection is down, bounded
 * in bytes: past the limit the oldest messages go, and the count of what went
 * is kept until `takeDropped()` reports it (once per outage).
 */
export class ReplayBuffer {
  readonly #limitBytes: number;
  // A head index instead of shift(): an outage can buffer thousands of audio frames.
  #items: BufferedMessage[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = { messages: 0, bytes: 0 };

  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(item: BufferedMessage): void {
    this.#items.push(item);
    this.#bytes += item.bytes;
    this.#trim();
  }

  /** Puts messages back in front (sent on a connection that died before writing them). */
  unshift(items: readonly BufferedMessage[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
    for (const item of items) this.#bytes += item.bytes;
    this.#trim();
  }

  /** Empties the buffer, oldest first. */
  drain(): BufferedMessage[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return items;
  }

  /** What overflowed since the last call, then starts counting afresh. */
  takeDropped(): { messages: number; bytes: number } {
    const dropped = this.#dropped;
    this.#dropped = { messages: 0, bytes: 0 };
    return dropped;
  }

  #trim(): void {
    while (this.#bytes > this.#limitBytes && this.#head < this.#items.length) {
      const oldest = this.#items[this.#head]!;
      this.#items[this.#head] = undefined as unknown as BufferedMessage;
      this.#head++;
      this.#bytes -= oldest.bytes;
      this.#dropped.messages++;
      this.#dropped.bytes += oldest.bytes;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
