/**
 * A configuration file shipped in functions' bundles (the automation rules, the playbooks): its
 * name in the bundle, its content (the operator's file as validated at synthesis, re-serialised as
 * JSON, so the functions parse it without a YAML parser), and the SHA-256 of the operator's file,
 * which the functions report as the file's (an environment variable beside the path).
 */
export interface ShippedFile {
  readonly fileName: string;
  readonly content: string;
  /** Lower-case hex SHA-256 of the file the operator gave, byte for byte. */
  readonly sha256: string;
}

/** Where Lambda puts a function's bundle: a shipped file's absolute path, for the variable naming it. */
export function shippedFilePath(file: ShippedFile): string {
  return `/var/task/${file.fileName}`;
}

/** A validated document as the functions read it: JSON, indented by two, ending in a newline. */
export function shippedJson(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
