import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { initializeLogger } from '../src/log.js';
import { defaultProgressReporter } from '../src/plugin/progress.js';

function captureLogs(): string[] {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      messages.push(JSON.parse(chunk.toString()).msg);
      done();
    },
  });
  initializeLogger({ level: 'info', pretty: false, destination: sink });
  return messages;
}

afterEach(() => {
  initializeLogger({ level: 'silent', pretty: false });
});

const MB = 1024 * 1024;

describe('progress without a terminal', () => {
  it('logs a line per quarter of a known size, then once when done', () => {
    const messages = captureLogs();
    const report = defaultProgressReporter(false);
    const base = { url: 'http://h/m', dest: '/c/m', totalBytes: 8 * MB, done: false };
    for (let received = 0; received <= 8 * MB; received += MB / 2) {
      report({ ...base, receivedBytes: received });
    }
    report({ ...base, receivedBytes: 8 * MB, done: true });
    expect(messages).toEqual([
      'downloading: 0.0 MB of 8.0 MB',
      'downloading: 2.0 MB of 8.0 MB',
      'downloading: 4.0 MB of 8.0 MB',
      'downloading: 6.0 MB of 8.0 MB',
      'downloading: 8.0 MB of 8.0 MB',
      'download finished',
    ]);
  });

  it('logs every 10 MB when the size is unknown', () => {
    const messages = captureLogs();
    const report = defaultProgressReporter(false);
    const base = { url: 'http://h/m', dest: '/c/m', totalBytes: undefined, done: false };
    for (let received = 0; received <= 25 * MB; received += MB) {
      report({ ...base, receivedBytes: received });
    }
    expect(messages).toEqual([
      'downloading: 0.0 MB',
      'downloading: 10.0 MB',
      'downloading: 20.0 MB',
    ]);
  });
});
