import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  MAX_BODY_BYTES,
  MS_PER_CHARACTER,
  SAMPLE_RATE,
  startToneServer,
  type ToneServer,
} from '../src/server.js';

let server: ToneServer;
beforeEach(async () => {
  server = await startToneServer({ apiKey: 'k' });
});
afterEach(async () => {
  await server.close();
});

function speech(body: string, key = 'k', path = '/v1/speech'): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
}

it('answers PCM of MS_PER_CHARACTER per character, silence for whitespace', async () => {
  const response = await speech(JSON.stringify({ text: 'a b' }));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(`audio/pcm;rate=${SAMPLE_RATE};channels=1`);
  const pcm = new Int16Array(await response.arrayBuffer());
  const perCharacter = (SAMPLE_RATE * MS_PER_CHARACTER) / 1000;
  expect(pcm.length).toBe(3 * perCharacter);
  const loudest = (from: number) =>
    Math.max(...pcm.subarray(from, from + perCharacter).map(Math.abs));
  expect(loudest(0)).toBeGreaterThan(1000);
  expect(loudest(perCharacter)).toBe(0);
  expect(loudest(2 * perCharacter)).toBeGreaterThan(1000);
});

it.each([
  ['a wrong key', () => speech(JSON.stringify({ text: 'a' }), 'nope'), 401],
  ['another path', () => speech(JSON.stringify({ text: 'a' }), 'k', '/v2/speech'), 404],
  ['a body that is not JSON', () => speech('{'), 400],
  ['empty text', () => speech(JSON.stringify({ text: ' ' })), 400],
  ['a body too large', () => speech(JSON.stringify({ text: 'a'.repeat(MAX_BODY_BYTES) })), 413],
])('refuses %s with a JSON error', async (_, request, status) => {
  const response = await request();
  expect(response.status).toBe(status);
  expect(await response.json()).toHaveProperty('error');
});

it('failNext(status, times) answers the next requests with that status, then audio again', async () => {
  server.failNext(503, 2);
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const response = await speech(JSON.stringify({ text: 'a' }));
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  expect(statuses).toEqual([503, 503, 200]);
  expect(server.requestCount()).toBe(3);
});
