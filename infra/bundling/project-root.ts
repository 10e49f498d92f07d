import { join } from 'node:path';

/** The repository root: where package.json and node_modules are, and what function entries are relative to. */
export const projectRoot = join(import.meta.dirname, '..', '..');
