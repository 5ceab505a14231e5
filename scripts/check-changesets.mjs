// Checks that every changeset's front matter is one changesets can read.
// Biome's markdown formatter rewrites a one-line front matter into a heading
// ("## '@agents/core': minor"), which `changeset version` then rejects at
// release time; catching it here keeps that failure out of the release.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../.changeset/', import.meta.url).pathname;
const releaseLine = /^(['"]?)(@?[\w.-]+(?:\/[\w.-]+)?)\1:\s*(major|minor|patch)\s*$/;
const problems = [];
for (const name of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
  const text = readFileSync(join(dir, name), 'utf8');
  const front = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  const lines = front?.[1].split(/\r?\n/).filter((l) => l.trim() !== '') ?? [];
  if (!front || lines.length === 0) {
    problems.push(`${name}: no front matter naming a package and its bump`);
    continue;
  }
  for (const line of lines.filter((l) => !releaseLine.test(l))) {
    problems.push(`${name}: "${line}" is not "'@agents/<package>': major|minor|patch"`);
  }
}
if (problems.length > 0) {
  console.error(
    `changesets that changesets cannot read:\n  ${problems.join('\n  ')}\n` +
      'Write the front matter as ---, a blank line, the package lines, a blank line, --- ' +
      '(biome leaves that form alone).',
  );
  process.exit(1);
}
