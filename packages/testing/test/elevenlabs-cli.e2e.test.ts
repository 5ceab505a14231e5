// `agents-testing elevenlabs` as a user runs it: a fresh process, stopped by a signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../src/index.js';

const bin = fileURLToPath(new URL('../bin/agents-testing.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('agents-testing elevenlabs', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prints its URL, serves the API with the key given, and exits 0 on ${signal}`, async () => {
      const child = spawn(
        process.execPath,
        [bin, 'elevenlabs', '--port', '0', '--api-key', 'xi-cli'],
        { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no URL within the deadline; output:\n${output}`)),
          scaledMs(15_000),
        );
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = /baseURL (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output);
          if (found) {
            clearTimeout(timer);
            resolve(found[1] as string);
          }
        });
      });
      const voices = await fetch(`${url}/v1/voices`, { headers: { 'xi-api-key': 'xi-cli' } });
      expect(voices.status).toBe(200);
      const wrong = await fetch(`${url}/v1/voices`, { headers: { 'xi-api-key': 'other' } });
      expect(wrong.status).toBe(401);
      const exited = once(child, 'exit');
      child.kill(signal);
      expect(await exited).toEqual([0, null]);
    });
  }
});
