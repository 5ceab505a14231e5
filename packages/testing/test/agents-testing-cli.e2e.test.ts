// The `agents-testing` bin as a user runs it: a fresh process per command.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../src/index.js';

const bin = fileURLToPath(new URL('../bin/agents-testing.js', import.meta.url));
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { timeout: scaledMs(15_000) },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('agents-testing', () => {
  it('prints its version', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('names --port when its value is not a port', async () => {
    for (const value of ['notanumber', '70000']) {
      const result = await run(['livekit-server', '--port', value]);
      expect(result.code, value).toBe(1);
      expect(result.stderr.split('\n')[0]).toMatch(/option '--port <port>' argument .* is invalid/);
    }
  });

  it('prints the env vars that point an agent at the LiveKit stand-in, then exits on SIGINT', async () => {
    const child = spawn(process.execPath, [bin, 'livekit-server', '--port', '0'], {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no env line within the deadline; output:\n${output}`)),
        scaledMs(15_000),
      );
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = output.split('\n').find((l) => l.includes('LIVEKIT_URL='));
        // The playground line comes right after it.
        if (found && output.includes('/playground')) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    expect(line).toMatch(
      /LIVEKIT_URL=ws:\/\/127\.0\.0\.1:\d+ LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret/,
    );
    expect(output).toMatch(
      /talk to your agent from a browser: http:\/\/127\.0\.0\.1:\d+\/playground/,
    );
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    expect(await exited).toEqual([0, null]);
  });
});
