/**
 * The body a scenario posts: its fixture (or inline JSON, or raw text) with `set` and `remove`
 * applied, and `{{name}}` placeholders filled from the run (account, region, hostname) and the
 * targets (`{{user.name}}`, `{{web.id}}`, `{{miner.pid}}`, `{{dropper.path}}`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPlainObject } from '#shared/catalogue/validate.ts';
import { fixturesRoot, type EventSpec } from './scenario.ts';

export type Variables = Readonly<Record<string, string | number>>;

const placeholder = /\{\{([\w.]+)\}\}/g;
const whole = /^\{\{([\w.]+)\}\}$/;

function variable(variables: Variables, name: string): string | number {
  const value = variables[name];
  if (value === undefined) throw new Error(`{{${name}}} names nothing this scenario defines (known: ${Object.keys(variables).sort().join(', ')})`);
  return value;
}

/** Fills placeholders in every string; a string that is one placeholder takes the value's type (a pid stays a number). */
export function fill(value: unknown, variables: Variables): unknown {
  if (typeof value === 'string') {
    const alone = whole.exec(value);
    if (alone?.[1] !== undefined) return variable(variables, alone[1]);
    return value.replace(placeholder, (_, name: string) => String(variable(variables, name)));
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, variables));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, variables)]));
  return value;
}

/** `detail.findings[0].Resources[0].Id`, `output_fields["proc.pid"]` → its keys and indexes. */
function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /(?:^|\.)([\w-]+)|\[(\d+)\]|\["([^"]+)"\]/gy;
  let consumed = 0;
  for (let match = pattern.exec(path); match !== null; match = pattern.exec(path)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(match[3]);
    consumed = pattern.lastIndex;
  }
  if (consumed !== path.length || segments.length === 0) throw new Error(`"${path}" is not a path (keys with dots go in ["..."])`);
  return segments;
}

function parentOf(body: unknown, segments: readonly (string | number)[], path: string): Record<string | number, unknown> {
  let node: unknown = body;
  for (const segment of segments.slice(0, -1)) {
    const next: unknown = isPlainObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') throw new Error(`"${path}": nothing at ${String(segment)} to set into`);
    node = next;
  }
  return node as Record<string | number, unknown>;
}

/** The body to post and its JSON text (or the raw text as given). */
export async function buildBody(event: EventSpec, variables: Variables): Promise<{ readonly text: string; readonly body: unknown }> {
  if (event.text !== undefined) return { text: event.text, body: undefined };
  const body: unknown =
    event.fixture === undefined ? structuredClone(event.inline) : (JSON.parse(await readFile(join(fixturesRoot, event.fixture), 'utf8')) as unknown);
  for (const [path, value] of Object.entries(event.set)) {
    const segments = pathSegments(path);
    parentOf(body, segments, path)[segments.at(-1) ?? ''] = fill(value, variables);
  }
  for (const path of event.remove) {
    const segments = pathSegments(path);
    const parent = parentOf(body, segments, path);
    const last = segments.at(-1) ?? '';
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else Reflect.deleteProperty(parent, last);
  }
  return { text: JSON.stringify(body), body };
}
