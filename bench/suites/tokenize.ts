import { tokenize } from '@agents/core';
import { SENTENCE_CORPUS } from '../../packages/core/test/fixtures/tokenize/sentence-corpus.js';
import { fmt, median, type Row, type Suite, timeRuns } from '../measure.js';

/** About 1 MB of English: the tokenizer test corpus (without its CJK cases), repeated. */
function englishText(): string {
  const cjk = /[\u3000-\u9fff]/;
  const corpus = SENTENCE_CORPUS.filter(({ text }) => text.trim() && !cjk.test(text))
    .map(({ text }) => text)
    .join(' ');
  return `${corpus} `.repeat(Math.ceil(2 ** 20 / (corpus.length + 1)));
}

/** Pushes `text` in pieces of `size`, letting the reader drain every 1000 pushes. */
async function streamInPieces(stream: tokenize.TokenStream, text: string, size: number) {
  let tokens = 0;
  const reading = (async () => {
    for await (const event of stream) if (event.type === 'token') tokens++;
  })();
  for (let i = 0, pushes = 0; i < text.length; i += size, pushes++) {
    stream.pushText(text.slice(i, i + size));
    if (pushes % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  stream.endInput();
  await reading;
  if (tokens === 0) throw new Error('the stream released no tokens');
}

export const tokenizeSuite: Suite = {
  name: 'tokenize',
  async run(): Promise<Row[]> {
    const text = englishText();
    const megabytes = Buffer.byteLength(text) / 2 ** 20;
    const throughput = (times: number[]) => `${fmt(megabytes / (median(times) / 1000))} MB/s`;
    const sentences = new tokenize.SentenceTokenizer();
    const words = new tokenize.WordTokenizer();
    const size = `${fmt(megabytes, 2)} MB of English`;

    const whole = await timeRuns(() => sentences.tokenize(text));
    const streamed = await timeRuns(() => streamInPieces(sentences.stream(), text, 5), { runs: 5 });
    const wordTimes = await timeRuns(() => words.tokenize(text), { runs: 5 });
    return [
      {
        name: 'SentenceTokenizer.tokenize()',
        result: throughput(whole),
        detail: `${size} (test corpus repeated), median of 7`,
      },
      {
        name: 'SentenceTokenizer stream, 5-char pushes',
        result: throughput(streamed),
        detail: `${size}, reader draining every 1000 pushes, median of 5`,
      },
      {
        name: 'WordTokenizer.tokenize()',
        result: throughput(wordTimes),
        detail: `${size}, punctuation ignored, median of 5`,
      },
    ];
  },
};
