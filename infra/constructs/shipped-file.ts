/**
 * A configuration file shipped in functions' bundles (the automation rules, the playbooks): its
 * name in the bundle and its bytes, unchanged, so the SHA-256 the API reports is the operator's file's.
 */
export interface ShippedFile {
  readonly fileName: string;
  readonly content: string;
}

/** Where Lambda puts a function's bundle: a shipped file's absolute path, for the variable naming it. */
export function shippedFilePath(file: ShippedFile): string {
  return `/var/task/${file.fileName}`;
}
