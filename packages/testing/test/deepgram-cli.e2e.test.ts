// `agents-testing deepgram` as a user runs it: a fresh process, pointed at by the real SDK.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DeepgramClient } from '@deepgram/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../src/index.js';
import { SPEECH_WAV } from './fixtures/deepgram/speech.js';

const bin = fileURLToPath(new URL('../bin/agents-testing.js', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('agents-testing deepgram', () => {
  it('prints its URL, transcribes for @deepgram/sdk with the key it was given, and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'deepgram', '--port', '0', '--api-key', 'cli-key'],
      {
        env: { ...process.env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no URL within the deadline; output:\n${output}`)),
        scaledMs(30_000),
      );
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        // Pretty (a terminal) or JSON log lines alike.
        const found = /"?url"?:\s*"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
        if (found?.[1]) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
    });
    const client = new DeepgramClient({ apiKey: 'cli-key', baseUrl: url });
    const response = (await client.listen.v1.media.transcribeFile(SPEECH_WAV, {
      model: 'nova-3',
    } as never)) as unknown as {
      results: { channels: { alternatives: { transcript: string }[] }[] };
    };
    expect(response.results.channels[0]?.alternatives[0]?.transcript).toMatch(/^alpha bravo/);
    const wrong = new DeepgramClient({ apiKey: 'other-key', baseUrl: url });
    await expect(
      wrong.listen.v1.media.transcribeFile(SPEECH_WAV, { model: 'nova-3' } as never),
    ).rejects.toMatchObject({
      statusCode: 401,
    });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });
});
