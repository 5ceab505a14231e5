import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scaledMs } from './time.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./fixtures/rtc-connect.mjs', import.meta.url));

async function linesAt(level: string): Promise<{ name?: string; msg: string }[]> {
  const { stdout } = await run(process.execPath, [script, level], { timeout: scaledMs(30_000) });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe("rtc-node's own logger", () => {
  it('follows our level: no debug line among ours at info, still there at debug', async () => {
    const atInfo = await linesAt('info');
    expect(atInfo.map((l) => l.msg)).toEqual(['connect attempt done']);

    const atDebug = await linesAt('debug');
    expect(atDebug).toContainEqual(
      expect.objectContaining({ name: 'lk-rtc', msg: 'Connect callback received' }),
    );
  });
});
