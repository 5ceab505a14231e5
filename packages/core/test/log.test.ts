import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { initializeLogger, log, parseLogLevel, redactUrl } from '../src/log.js';

/** A pino destination that keeps what was written. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { lines });
}

afterEach(() => {
  initializeLogger({ level: 'silent', pretty: false });
});

describe('logger', () => {
  it('writes JSON lines with the bindings of child loggers', () => {
    const sink = capture();
    initializeLogger({ level: 'info', pretty: false, destination: sink });
    log().child({ workerId: 'W1' }).child({ jobId: 'J1', room: 'lobby' }).info('job started');
    const line = JSON.parse(sink.lines[0]!);
    expect(line).toMatchObject({ workerId: 'W1', jobId: 'J1', room: 'lobby', msg: 'job started' });
  });

  it('never writes secrets or tokens', () => {
    const sink = capture();
    initializeLogger({ level: 'info', pretty: false, destination: sink });
    log().info(
      {
        apiKey: 'sk-live-123',
        token: 'eyJhbGciOi',
        options: { apiSecret: 'shh-secret', headers: { authorization: 'Bearer abc' } },
        request: { headers: { Authorization: 'Bearer def' } },
      },
      'connecting',
    );
    const output = sink.lines.join('');
    for (const secret of ['sk-live-123', 'eyJhbGciOi', 'shh-secret', 'Bearer abc', 'Bearer def']) {
      expect(output).not.toContain(secret);
    }
    expect(JSON.parse(sink.lines[0]!).apiKey).toBe('[redacted]');
  });

  it('formats human-readable lines in development', () => {
    const sink = capture();
    initializeLogger({ level: 'debug', pretty: true, destination: sink });
    log().child({ jobId: 'J7' }).debug({ token: 'tok-1' }, 'pretty line');
    const output = sink.lines.join('');
    expect(output).toContain('DEBUG');
    expect(output).toContain('pretty line');
    expect(output).toContain('J7');
    expect(output).not.toContain('tok-1');
    expect(() => JSON.parse(output)).toThrow();
  });

  it('honours the level, from options or LOG_LEVEL', () => {
    const sink = capture();
    initializeLogger({ level: 'warn', pretty: false, destination: sink });
    log().info('hidden');
    log().warn('shown');
    expect(sink.lines.map((line) => JSON.parse(line).msg)).toEqual(['shown']);

    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'ERROR';
    try {
      expect(initializeLogger({ pretty: false, destination: sink }).level).toBe('error');
    } finally {
      process.env.LOG_LEVEL = previous;
    }
  });

  it('parses level names case-insensitively and rejects unknown ones', () => {
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel('warning')).toBe('warn');
    expect(parseLogLevel('CRITICAL')).toBe('fatal');
    expect(() => parseLogLevel('loud')).toThrow(/unknown log level "loud"; use one of: trace,/);
  });

  it('removes credentials from URLs', () => {
    const safe = redactUrl('wss://user:pw@example.com/agent?access_token=abc.def&protocol=1');
    expect(safe).not.toContain('abc.def');
    expect(safe).not.toContain('pw@');
    expect(safe).toContain('protocol=1');
    expect(redactUrl('::not a url')).toBe('[unparseable url]');
  });
});
