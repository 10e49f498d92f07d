/**
 * capture-process-state: the processes and network connections of the host, or of one container
 * (`container.id`), read from /proc alone (no `ps` or `ss` binary an attacker could have
 * replaced), stored as evidence: a `ps`-like and an `ss`-like listing, each as JSON and as text.
 * It changes nothing and never reads a process's environment.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { defaultCaptureLimits } from './capture-limits.ts';
import type { CaptureLimits } from './capture-limits.ts';
import { containerJson, describeContainer } from './container-target.ts';
import type { ContainerInfo } from './containers/runtime.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError } from './errors.ts';
import { processStateEvidenceName } from './evidence-names.ts';
import { optionalText } from './inputs.ts';
import { placedInContainer } from './proc-container.ts';
import { listProcesses, parsePasswd, readBounded } from './proc-listing.ts';
import type { ProcessEntry } from './proc-listing.ts';
import { listSockets } from './proc-sockets.ts';
import { boundedJson, boundedText, processLines, socketLines } from './process-state-render.ts';
import { parseBootTime } from './procfs.ts';

/** USER_HZ: /proc's start ticks are in these on every architecture Linux runs containers on. */
const clockTicksPerSecond = 100;
const maxNotes = 16;

async function upload(context: ResponderActionContext, name: string, contentType: string, body: Buffer) {
  context.signal.throwIfAborted();
  const sha256 = createHash('sha256').update(body).digest('hex');
  const evidence = await context.uploadEvidence(name, contentType, body);
  if (evidence.sha256 !== sha256 || evidence.size !== body.length) {
    throw hostError('EvidenceMismatch', `the evidence stored as ${name} has SHA-256 ${evidence.sha256} (${evidence.size} bytes), not ${sha256} (${body.length} bytes) as written`);
  }
  return { name: evidence.name, sha256: evidence.sha256, size: evidence.size };
}

/** The container named, running (its processes and network namespace are what is captured). */
async function runningContainer(env: HostEnvironment, id: string, signal: AbortSignal): Promise<ContainerInfo> {
  const { container } = await env.runtimes.locate({ id }, signal);
  if (container.pid === null) {
    throw hostError('ContainerNotRunning', `${describeContainer(container)} is ${container.status}: it has no processes or connections to capture`);
  }
  return container;
}

/** The host's user names; none when /etc/passwd cannot be read (uids are always listed). */
async function hostUsers(): Promise<Map<number, string>> {
  const passwd = await readBounded('/etc/passwd', 1024 * 1024);
  return passwd.ok ? parsePasswd(passwd.value.toString('utf8')) : new Map();
}

const cut = (text: string): string => (text.length > 900 ? `${text.slice(0, 900)}…` : text);

export function captureProcessState(env: HostEnvironment, limits: CaptureLimits = defaultCaptureLimits): ResponderAction {
  return {
    type: 'capture-process-state',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { signal } = context;
      const containerId = optionalText(context.work.inputs, 'container.id');
      const container = containerId === undefined ? null : await runningContainer(env, containerId, signal);
      const capturedAt = env.clock.now().toISOString();
      const bootTimeSeconds = parseBootTime(await readFile(`${env.procRoot}/stat`, 'utf8'));
      const listing = await listProcesses({
        procRoot: env.procRoot,
        bootTimeSeconds,
        clockTicksPerSecond,
        users: await hostUsers(),
        limits,
        signal,
        ...(container === null ? {} : { accept: (cgroup: string) => placedInContainer(cgroup, container.id, env.containerdNamespaces) }),
      });
      const sockets = await listSockets(env.procRoot, listing.processes, limits, signal);

      const scope = container === null ? 'host' : `${container.runtime}-${container.id}`;
      const subject = container === null ? `host ${context.work.target.name}` : describeContainer(container);
      const header: JsonObject = {
        capturedAt,
        host: context.work.target.name,
        scope: container === null ? 'host' : 'container',
        container: container === null ? null : containerJson(container),
        bootTime: new Date(bootTimeSeconds * 1000).toISOString(),
        limits: { ...limits },
      };
      const processJson = boundedJson(
        { ...header, matched: listing.matched, vanished: listing.vanished, unreadable: listing.unreadable, truncated: listing.truncated },
        'processes',
        listing.processes as unknown as JsonValue[],
        limits.maxObjectBytes,
      );
      const socketJson = boundedJson(
        { ...header, found: sockets.count, namespaces: sockets.namespaces, unreadableLines: sockets.unreadableLines, ownerGaps: sockets.ownerGaps, tablesUnread: sockets.tablesUnread, truncated: sockets.truncated },
        'sockets',
        sockets.sockets as unknown as JsonValue[],
        limits.maxObjectBytes,
      );
      const comms = new Map(listing.processes.map((entry: ProcessEntry) => [entry.pid, entry.comm]));
      const evidence = {
        processes: await upload(context, processStateEvidenceName(scope, 'processes', 'json'), 'application/json', processJson.body),
        processesText: await upload(
          context,
          processStateEvidenceName(scope, 'processes', 'txt'),
          'text/plain; charset=utf-8',
          boundedText(processLines(`# processes of ${subject}, read from /proc at ${capturedAt}`, listing.processes), limits.maxObjectBytes),
        ),
        sockets: await upload(context, processStateEvidenceName(scope, 'sockets', 'json'), 'application/json', socketJson.body),
        socketsText: await upload(
          context,
          processStateEvidenceName(scope, 'sockets', 'txt'),
          'text/plain; charset=utf-8',
          boundedText(socketLines(`# sockets of ${subject}, read from /proc at ${capturedAt}`, sockets.sockets, comms), limits.maxObjectBytes),
        ),
      };

      const notes: string[] = [];
      if (container !== null && !listing.processes.some((entry) => entry.pid === container.pid)) {
        notes.push(`the container's init process ${container.pid} was not found among the processes whose cgroups name the container`);
      }
      if (listing.vanished > 0) notes.push(`${listing.vanished} processes exited (or their pid was reused) while they were read; they are not listed`);
      if (listing.unreadable > 0) notes.push(`${listing.unreadable} processes had a /proc stat line this responder could not read; they are not listed`);
      if (listing.truncated) notes.push(`only the first ${limits.maxProcesses} of ${listing.matched} processes are listed (the limit)`);
      if (processJson.listed < listing.processes.length) notes.push(`the processes object holds the first ${processJson.listed} processes: the rest did not fit in ${limits.maxObjectBytes} bytes`);
      if (sockets.count > sockets.sockets.length) notes.push(`only the first ${limits.maxSockets} of ${sockets.count} sockets are listed (the limit)`);
      if (socketJson.listed < sockets.sockets.length) notes.push(`the sockets object holds the first ${socketJson.listed} sockets: the rest did not fit in ${limits.maxObjectBytes} bytes`);
      notes.push(...sockets.ownerGaps);
      if (sockets.tablesUnread.length > 0) notes.push(cut(`socket tables not readable: ${sockets.tablesUnread.join(', ')}`));
      if (sockets.unreadableLines > 0) notes.push(`${sockets.unreadableLines} socket table lines could not be read`);
      if (container === null) notes.push('every network namespace of the listed processes is read, the host\'s and each container\'s');
      notes.push("user names are the host's (/etc/passwd); a container's own names for its uids may differ");

      return {
        result: {
          scope: container === null ? 'host' : 'container',
          containerId: container?.id ?? null,
          container: container === null ? null : containerJson(container),
          capturedAt,
          bootTime: header['bootTime'] ?? null,
          processes: {
            count: listing.matched,
            listed: processJson.listed,
            vanished: listing.vanished,
            unreadable: listing.unreadable,
            truncated: listing.truncated || processJson.listed < listing.processes.length,
          },
          sockets: {
            count: sockets.count,
            listed: socketJson.listed,
            namespaces: sockets.namespaces,
            unreadableLines: sockets.unreadableLines,
            truncated: sockets.truncated || socketJson.listed < sockets.sockets.length,
          },
          evidence,
          limits: { ...limits },
          notes: notes.slice(0, maxNotes),
        },
      };
    },
  };
}
