/** Evidence object names: what the evidence-upload route accepts (`[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}`). */

function safe(text: string, maxLength: number): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, maxLength);
  return cleaned === '' ? '_' : cleaned;
}

/** `file-<base name>` for an acquired file. */
export function fileEvidenceName(path: string): string {
  return `file-${safe(path.split('/').at(-1) ?? '', 150)}`;
}

/** `container-<runtime>-<id, 12>-logs.txt` for a container's logs. */
export function logsEvidenceName(runtime: string, containerId: string): string {
  return `container-${runtime}-${safe(containerId.slice(0, 64), 64)}-logs.txt`;
}

/** `process-state-<host | runtime-id>-<processes | sockets>.<json | txt>` for capture-process-state. */
export function processStateEvidenceName(scope: string, listing: 'processes' | 'sockets', extension: 'json' | 'txt'): string {
  return `process-state-${safe(scope, 100)}-${listing}.${extension}`;
}
