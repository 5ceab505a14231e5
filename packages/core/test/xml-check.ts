/**
 * A strict-enough well-formedness check for the SVG we write (no XML parser
 * in the workspace): one root, tags balanced and properly nested, attributes
 * quoted and unique, only the five predefined entities or numeric ones, no
 * raw `<` or `&` in text. Throws with the offset of the first problem.
 */
export function assertWellFormedXml(xml: string): void {
  const fail = (at: number, problem: string): never => {
    throw new Error(`not well-formed XML at ${at}: ${problem}: ${xml.slice(at, at + 60)}`);
  };
  const stack: string[] = [];
  let roots = 0;
  let i = xml.startsWith('<?xml') ? xml.indexOf('?>') + 2 : 0;
  const name = /^[A-Za-z_][\w.-]*/;
  const entity = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? xml.length : lt;
    for (let k = i; k < textEnd; k++) {
      if (xml[k] === '&' && !entity.test(xml.slice(k, k + 12))) fail(k, 'a bare &');
      if (xml[k] === '>') fail(k, 'a bare >');
    }
    if (stack.length === 0 && xml.slice(i, textEnd).trim() !== '') fail(i, 'text outside the root');
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) fail(lt, 'an unclosed tag');
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const closing = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== closing) fail(lt, `</${closing}> closes <${open}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const tagName = name.exec(body)?.[0];
      if (!tagName) fail(lt, 'a tag without a name');
      const attrs = body.slice(tagName!.length);
      const seen = new Set<string>();
      const attr = /\s+([A-Za-z_:][\w:.-]*)="([^"<]*)"/y;
      let pos = 0;
      for (;;) {
        attr.lastIndex = pos;
        const m = attr.exec(attrs);
        if (!m) break;
        if (seen.has(m[1]!)) fail(lt, `attribute ${m[1]} twice`);
        seen.add(m[1]!);
        for (const [k, c] of [...m[2]!].entries()) {
          if (c === '&' && !entity.test(m[2]!.slice(k, k + 12)))
            fail(lt, 'a bare & in an attribute');
        }
        pos = attr.lastIndex;
      }
      if (attrs.slice(pos).trim() !== '') fail(lt, `a malformed attribute: ${attrs.slice(pos)}`);
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(tagName!);
    }
    i = gt + 1;
  }
  if (stack.length) fail(xml.length, `<${stack.at(-1)}> never closed`);
  if (roots !== 1) fail(0, `${roots} root elements`);
}
