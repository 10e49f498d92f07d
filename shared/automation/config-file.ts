/**
 * Reading a configuration file (the automation rules, the playbooks) without the `yaml` package,
 * so the functions in AWS, which read only the JSON synthesis ships, do not bundle it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '#shared/errors.ts';

/** A configuration file read and parsed the same way for each variable naming one (AUTOMATION_RULES, PLAYBOOKS). */
export interface ConfigFileKind {
  readonly variable: string;
  /** How the size error names the file: "a rules file". */
  readonly noun: string;
  readonly maxBytes: number;
}

/** The file's bytes, refused (ConfigError naming the variable) unless a regular file of at most `kind.maxBytes`. */
export function readBounded(path: string, kind: ConfigFileKind): Buffer {
  const { variable, maxBytes } = kind;
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    throw new ConfigError(variable, `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  try {
    // Checked on the open file, so a swap after the check cannot slip a larger or special file in.
    const stat = fstatSync(descriptor);
    if (!stat.isFile()) throw new ConfigError(variable, `${path}: is not a regular file`);
    if (stat.size > maxBytes) throw new ConfigError(variable, `${path}: is ${stat.size} bytes; ${kind.noun} may be at most ${maxBytes}`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = readSync(descriptor, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) throw new ConfigError(variable, `${path}: grew past ${maxBytes} bytes while being read`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(descriptor);
  }
}

/** `.json` is JSON and `.yaml`/`.yml` YAML; any other name is JSON when it starts like JSON. */
export function formatOf(path: string, bytes: Buffer): 'json' | 'yaml' {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return bytes.toString('utf8').trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** The bytes as UTF-8 text; anything else is a ConfigError naming `variable`. */
export function utf8Text(bytes: Buffer, origin: string, variable: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ConfigError(variable, `${origin}: is not UTF-8 text`, { cause: error });
  }
}

/**
 * JSON text parsed; unreadable JSON is a ConfigError naming `variable`. It does not look for a key
 * given twice (JSON.parse keeps the last): operators' files go through parseContent, which does.
 */
export function parseJsonText(text: string, origin: string, variable: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(variable, `${origin}: is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** A SHA-256 digest as synthesis passes it (lower-case hex), or a ConfigError naming `variable`. */
export function sha256Hex(value: string, variable: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new ConfigError(variable, 'must be a SHA-256 digest (64 lower-case hexadecimal digits)');
  return value;
}
