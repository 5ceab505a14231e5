/**
 * The little SVG this module needs, as strings: elements with attributes in
 * the order given, text escaped, numbers with one decimal. Same input, same
 * bytes: the picture can be compared with a golden file.
 */

export type Attrs = Record<string, string | number | undefined>;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe in an element or a quoted attribute; characters XML forbids are dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A coordinate or size: one decimal, no "-0". */
export function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function attributes(attrs: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${name}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`;
  }
  return out;
}

/** An element; `children` are already-built markup (use `text()` for text). */
export function el(name: string, attrs: Attrs, ...children: string[]): string {
  const open = `<${name}${attributes(attrs)}`;
  return children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${name}>`;
}

export function text(value: string): string {
  return escapeXml(value);
}

/** A polyline's `points` attribute. */
export function points(xy: readonly (readonly [number, number])[]): string {
  return xy.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
}
