/**
 * A small reader of REAPER's .rpp chunk format for tests: "<NAME args" opens a chunk, ">" closes
 * it, any other line is a field "KEY args". Arguments may be "double", 'single' or `back` quoted.
 */
export interface RppNode {
  name: string;
  args: string[];
  fields: { key: string; args: string[] }[];
  children: RppNode[];
}

function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|`([^`]*)`|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

export function parseRpp(text: string): RppNode {
  const stack: RppNode[] = [];
  let root: RppNode | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('<')) {
      const [name, ...args] = words(line.slice(1));
      const node: RppNode = { name, args, fields: [], children: [] };
      if (stack.length) stack[stack.length - 1].children.push(node);
      else if (root) throw new Error('more than one top-level chunk');
      else root = node;
      stack.push(node);
    } else if (line === '>') {
      if (!stack.pop()) throw new Error('unbalanced ">"');
    } else {
      if (!stack.length) throw new Error(`field outside a chunk: ${line}`);
      const [key, ...args] = words(line);
      stack[stack.length - 1].fields.push({ key, args });
    }
  }
  if (!root || stack.length) throw new Error('unbalanced chunks');
  return root;
}

/** The arguments of a chunk's first field named `key`. */
export function field(node: RppNode, key: string): string[] | undefined {
  return node.fields.find((f) => f.key === key)?.args;
}
