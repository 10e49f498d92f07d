/**
 * What a host responder reports, per action type, exactly as responders/host/*.ts builds it:
 * `prior` (what the target was), `applied` (what the action changed; undo reverses only that)
 * and `result`. A type that never reports a part has `none` there.
 */
import * as z from 'zod';
import {
  absolutePath,
  count,
  decimal,
  evidence,
  isoTime,
  mode,
  name,
  none,
  notes,
  nullableName,
  ownerId,
  pathText,
  pid,
  quarantinePath,
  reference,
  sha256,
  text,
} from './common.ts';
import { containerMatches, sameAsInput, type ReportSchemas } from './types.ts';

const runtime = z.enum(['docker', 'containerd']);
const modeOctal = z.string().max(5).regex(/^0[0-7]{3,4}$/);

/** A container as container-target.ts's containerJson describes it. */
const containerFields = {
  containerId: name,
  name: nullableName,
  runtime,
  namespace: nullableName,
  status: name,
  pid: pid.nullable(),
  image: reference.nullable(),
  startedAt: isoTime.nullable(),
  restartPolicy: nullableName,
};
const container = z.strictObject(containerFields);
/** The same fields in a result that may also carry only the container id (an undo with nothing to do). */
const optionalContainerFields = Object.fromEntries(Object.entries(containerFields).map(([key, schema]) => [key, schema.optional()])) as {
  [Key in keyof typeof containerFields]: z.ZodOptional<(typeof containerFields)[Key]>;
};

/** What a stop or pause changed (containerApplied), for its undo. */
const containerApplied = (change: 'stopped' | 'paused') =>
  z.strictObject({ containerId: name, name: nullableName, runtime, namespace: nullableName, [change]: z.boolean() });

const containerChange = {
  ...optionalContainerFields,
  containerId: name,
  changed: z.boolean(),
  reason: text.optional(),
  drift: notes.optional(),
  statusBefore: name.optional(),
  statusAfter: name.optional(),
  notes: notes.optional(),
  gracePeriodSeconds: count.optional(),
};

/** Where a file action acted: the host, or a container reached through its root. */
const fileScope = {
  root: pathText,
  container: z.strictObject({ id: name, name: nullableName, runtime, namespace: nullableName }).nullable(),
};

/** file-facts.ts's FileFacts. */
const fileFacts = {
  type: z.enum(['file', 'symlink']),
  mode,
  uid: ownerId,
  gid: ownerId,
  size: count,
  nlink: count,
  inode: decimal,
  device: decimal,
  mtime: isoTime,
  mtimeNs: decimal,
  sha256: sha256.nullable(),
  linkTarget: pathText.nullable(),
};

/** What file-quarantine changed (quarantine-store.ts's QuarantineApplied): file-unquarantine restores from it. */
export const quarantineApplied = z.strictObject({
  path: absolutePath,
  containerId: nullableName,
  resolvedPath: absolutePath,
  quarantinePath,
  ...fileFacts,
  /** null in the progress recorded before the move. */
  method: z.enum(['rename', 'copy']).nullable(),
  quarantinedMode: mode.nullable(),
});

const processFields = {
  pid,
  startTime: isoTime,
  comm: z.string().max(64),
  // 1024 characters and the ellipsis kill-process adds when it cuts the command line.
  commandLine: z.string().max(1025),
  commandLineTruncated: z.boolean(),
  exe: pathText.nullable(),
  uid: ownerId.nullable(),
  ppid: z.number().int().min(0).max(0x3fffff),
  state: z.string().max(8),
};

const fileAgrees = sameAsInput('path.absolute', ['prior.path', 'applied.path', 'result.path']);

/** capture-process-state's counts (the listings themselves are evidence objects, never in the report). */
const listingCounts = { count, listed: count, truncated: z.boolean() };
const captureLimits = z.strictObject({
  maxProcesses: count,
  maxCommandLineBytes: count,
  maxSockets: count,
  maxFdLinks: count,
  maxTableBytes: count,
  maxObjectBytes: count,
});
const processStateResult = z
  .strictObject({
    scope: z.enum(['host', 'container']),
    containerId: nullableName,
    container: container.nullable(),
    capturedAt: isoTime,
    bootTime: isoTime,
    processes: z.strictObject({ ...listingCounts, vanished: count, unreadable: count }),
    sockets: z.strictObject({ ...listingCounts, namespaces: count, unreadableLines: count }),
    evidence: z.strictObject({ processes: evidence, processesText: evidence, sockets: evidence, socketsText: evidence }),
    limits: captureLimits,
    // Shorter and fewer than other notes, so the largest report fits the report body limit.
    notes: z.array(z.string().max(1000)).max(16),
  })
  .refine((result) => (result.scope === 'container') === (result.containerId !== null) && result.containerId === (result.container?.containerId ?? null), {
    message: 'a container capture names its container, a host capture none',
    path: ['containerId'],
  })
  .refine((result) => result.processes.listed <= result.processes.count && result.sockets.listed <= result.sockets.count, {
    message: 'cannot list more than were found',
    path: ['processes'],
  });

export const hostReportSchemas: Readonly<Record<string, ReportSchemas>> = {
  'kill-process': {
    prior: z.strictObject(processFields),
    applied: z.strictObject({ pid, startTime: isoTime, signal: z.literal('SIGKILL') }),
    result: z.strictObject({ ...processFields, containerId: nullableName, signal: z.literal('SIGKILL'), gone: z.boolean(), confirmation: text }),
    agrees: sameAsInput('process.id', ['prior.pid', 'applied.pid', 'result.pid']),
  },
  'kill-container': {
    prior: container,
    applied: z.strictObject({ containerId: name, runtime, signal: z.literal('SIGKILL') }),
    result: z.strictObject({ ...containerFields, signal: z.literal('SIGKILL'), statusBefore: name, statusAfter: name, notes }),
    agrees: containerMatches(['prior.containerId', 'applied.containerId']),
  },
  'stop-container': {
    prior: container,
    applied: containerApplied('stopped'),
    result: z.strictObject(containerChange),
    agrees: containerMatches(['prior.containerId', 'applied.containerId']),
  },
  'start-container': {
    prior: container,
    applied: z.strictObject({ containerId: name, started: z.boolean() }),
    result: z.strictObject(containerChange),
    agrees: containerMatches(['prior.containerId', 'applied.containerId']),
  },
  'pause-container': {
    prior: container,
    applied: containerApplied('paused'),
    result: z.strictObject(containerChange),
    agrees: containerMatches(['prior.containerId', 'applied.containerId']),
  },
  'unpause-container': {
    prior: container,
    applied: z.strictObject({ containerId: name, unpaused: z.boolean() }),
    result: z.strictObject(containerChange),
    agrees: containerMatches(['prior.containerId', 'applied.containerId']),
  },
  'file-quarantine': {
    prior: z.strictObject({ path: absolutePath, ...fileScope, resolvedPath: absolutePath, hostPath: absolutePath, ...fileFacts, modeOctal }),
    applied: quarantineApplied,
    result: z.strictObject({
      path: absolutePath,
      ...fileScope,
      hostPath: absolutePath,
      quarantinedTo: quarantinePath,
      type: fileFacts.type,
      sha256: sha256.nullable(),
      size: count,
      method: z.enum(['rename', 'copy']),
      quarantinedMode: mode.nullable(),
      hardLinks: z.strictObject({ count, othersRemain: count }),
      notes,
    }),
    agrees: (inputs, parts) => [...fileAgrees(inputs, parts), ...containerMatches(['applied.containerId'], { nullWithout: true })(inputs, parts)],
  },
  'file-unquarantine': {
    prior: z.strictObject({ quarantinePath, present: z.boolean(), mode: mode.optional(), uid: ownerId.optional(), gid: ownerId.optional(), sha256: sha256.nullable().optional() }),
    applied: z.strictObject({
      path: absolutePath,
      containerId: nullableName.optional(),
      restoredFrom: quarantinePath.optional(),
      restored: z.boolean().optional(),
      method: z.enum(['link', 'rename', 'copy', 'resumed']).optional(),
    }),
    result: z.strictObject({
      path: absolutePath,
      restored: z.boolean().optional(),
      reason: text.optional(),
      containerId: nullableName.optional(),
      hostPath: absolutePath.optional(),
      restoredFrom: quarantinePath.optional(),
      method: z.enum(['link', 'rename', 'copy', 'resumed']).optional(),
      type: fileFacts.type.optional(),
      sha256: sha256.nullable().optional(),
      mode: mode.optional(),
      modeOctal: modeOctal.optional(),
      uid: ownerId.optional(),
      gid: ownerId.optional(),
      mtime: isoTime.optional(),
      mtimeNs: decimal.optional(),
      hardLinks: count.optional(),
      drift: notes.optional(),
    }),
    agrees: fileAgrees,
  },
  'acquire-file': {
    prior: none,
    applied: none,
    result: z.strictObject({
      path: absolutePath,
      ...fileScope,
      hostPath: absolutePath,
      resolvedPath: absolutePath,
      sha256,
      size: count,
      mode,
      modeOctal,
      uid: ownerId,
      gid: ownerId,
      mtime: isoTime,
      evidence,
      requestedBucket: z.string().max(63).nullable(),
      notes,
    }),
    agrees: sameAsInput('path.absolute', ['result.path']),
  },
  'get-logs': {
    prior: none,
    applied: none,
    result: z.strictObject({ ...containerFields, evidence, truncated: z.boolean(), source: text, notes }),
    agrees: containerMatches(['result.containerId']),
  },
  'capture-process-state': {
    prior: none,
    applied: none,
    result: processStateResult,
    agrees: containerMatches(['result.containerId'], { nullWithout: true }),
  },
};
