export { OpenAIStandIn } from '@agents/testing';

/** The key the stand-in expects, and the tests send. */
export const KEY = 'sk-standin-test-key';

/** Reads a stream to its end. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

/** Reads a stream that must fail: what it threw, and what it delivered before. */
export async function failureOf<T>(
  stream: AsyncIterable<T>,
): Promise<{ error: unknown; items: T[] }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { error, items };
  }
  throw new Error('the stream did not fail');
}
