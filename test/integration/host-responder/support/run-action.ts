/**
 * Runs one host action in a process of its own and prints its outcome or error as JSON on
 * stdout: the non-root tests have it become `nobody` (uid 65534, `runAs`), so the kernel, not a
 * stub, decides what the responder may do. It starts as root and drops to that user once its
 * modules are loaded (static imports are read before this body runs): nobody need not reach the
 * checkout, which may sit under a 0700 directory. Argument: JSON
 * `{ type, inputs, options, undoOf?, actionId?, runAs? }`.
 */
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { ResponderActionError } from '../../../../shared/responders/protocol.ts';
import type { UndoSource } from '../../../../shared/responders/protocol.ts';
import { hostActions } from '../../../../responders/host/actions.ts';
import type { HostActionsOptions } from '../../../../responders/host/actions.ts';

interface Request {
  readonly type: string;
  readonly inputs: Record<string, unknown>;
  readonly options: HostActionsOptions;
  readonly undoOf?: UndoSource;
  /** The action id to run under (an undo names the id of what it reverses); random by default. */
  readonly actionId?: string;
  /** The user (and group) to become before running: every capability goes with root's uid. */
  readonly runAs?: number;
}

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
if (request.runAs !== undefined) {
  process.setgroups?.([]);
  process.setgid?.(request.runAs);
  process.setuid?.(request.runAs);
}
const action = hostActions(request.options).find((candidate) => candidate.type === request.type);
if (action === undefined) throw new Error(`no action ${request.type}`);
const now = new Date();
try {
  const outcome = await action.execute({
    work: {
      v: 1,
      actionId: request.actionId ?? randomUUID(),
      type: request.type,
      inputs: { 'host.id': 'test-host', ...request.inputs },
      target: { kind: 'host', name: 'test-host' },
      undoOf: request.undoOf ?? null,
      issuedAt: now.toISOString(),
      pickupDeadline: now.toISOString(),
      completionDeadline: now.toISOString(),
    },
    signal: new AbortController().signal,
    uploadEvidence: (name, _contentType, body) => Promise.resolve({ name, sha256: createHash('sha256').update(body).digest('hex'), size: body.length }),
    recordProgress: () => Promise.resolve(),
  });
  process.stdout.write(JSON.stringify({ ok: true, uid: process.getuid?.(), outcome }));
} catch (error) {
  const code = error instanceof ResponderActionError ? error.code : 'Unexpected';
  process.stdout.write(JSON.stringify({ ok: false, uid: process.getuid?.(), code, message: error instanceof Error ? error.message : String(error) }));
}
