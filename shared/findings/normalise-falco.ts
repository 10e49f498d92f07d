/**
 * A Falco alert as a NormalisedFinding (API.md): `host.id` from the alert's `hostname`;
 * `output_fields` `container.id` → `container.id` (`host` means the host itself), `proc.pid` →
 * `process.id`, `fd.name` → `path.absolute` (files only), `k8s.ns.name` / `k8s.pod.name` → the
 * pod, in the cluster `k8s.cluster.name` names when present (not a Falco field: falcosidekick's
 * `customfields` can add it). Without it the pod's names ride on the host's inputs, for a rule to
 * complete with the cluster. Only `syscall` alerts (Falco's default source) describe the host that
 * sent them; a plugin source's alert (k8s_audit, aws_cloudtrail, ...) names no host to act on.
 */
import { createHash } from 'node:crypto';
import { falcoAlertSchema } from './falco-schema.ts';
import type { FalcoAlert } from './falco-schema.ts';
import { hostActivityResources, kubernetesWorkloadResource } from './finding-resources.ts';
import { quote } from '#shared/catalogue/validate.ts';
import { parsePart } from './parse-part.ts';
import { falcoPriorityOf, falcoSeverity } from './severity.ts';
import type { FindingResource, NormalisedEvent, NormalisedFinding } from './types.ts';

/** One output field as text, or undefined when Falco could not fill it in (`<NA>`, null, empty). */
function field(alert: FalcoAlert, name: string): string | number | undefined {
  const fields = alert.output_fields;
  if (!Object.hasOwn(fields, name)) return undefined;
  const value = fields[name];
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '' || value === '<NA>') return undefined;
  return value;
}

function textField(alert: FalcoAlert, name: string): string | undefined {
  const value = field(alert, name);
  return value === undefined ? undefined : String(value);
}

/** The id Falco gave the alert, or one derived from what makes it this alert, so a re-post is recognised. */
function alertId(alert: FalcoAlert): string {
  if (alert.uuid !== undefined) return alert.uuid;
  const digest = createHash('sha256').update(JSON.stringify([alert.hostname ?? null, alert.rule, alert.time, alert.output])).digest('hex');
  return `falco-${digest}`;
}

/** Sources whose alerts describe activity on the host Falco runs on; plugin sources (k8s_audit, aws_cloudtrail, okta, ...) describe something else. */
const hostSources = new Set(['syscall']);

function resourcesOf(alert: FalcoAlert): { resources: FindingResource[]; reason: string | null } {
  if (alert.source !== undefined && !hostSources.has(alert.source)) {
    return { resources: [], reason: `a Falco ${quote(alert.source)} alert: its hostname is where Falco runs, not what the alert is about` };
  }
  if (alert.hostname === undefined || alert.hostname === '') {
    return { resources: [], reason: 'the alert has no hostname, so no host.id: run a Falco that writes hostname into its JSON output' };
  }
  const container = textField(alert, 'container.id');
  const pid = field(alert, 'proc.pid');
  const processId = typeof pid === 'string' && /^\d{1,10}$/.test(pid) ? Number(pid) : pid;
  if (typeof processId === 'string') return { resources: [], reason: `proc.pid ${quote(processId)} is not a process id` };
  const { resources, reason } = hostActivityResources({
    hostId: alert.hostname,
    ...(container === undefined || container === 'host' ? {} : { containerId: container }),
    ...(processId === undefined ? {} : { processId }),
    ...(textField(alert, 'fd.name') === undefined ? {} : { path: textField(alert, 'fd.name') }),
  });
  const namespace = textField(alert, 'k8s.ns.name');
  const pod = textField(alert, 'k8s.pod.name');
  const [first] = resources;
  if (namespace === undefined || pod === undefined || first === undefined) return { resources, reason };
  const cluster = textField(alert, 'k8s.cluster.name');
  if (cluster !== undefined) {
    const mapped = kubernetesWorkloadResource(cluster, namespace, 'pod', pod);
    return { resources: mapped.resource === undefined ? resources : [...resources, mapped.resource], reason };
  }
  const withPod = { ...first, inputs: { ...first.inputs, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': pod } };
  return { resources: [withPod, ...resources.slice(1)], reason };
}

export function normaliseFalcoFinding(alert: FalcoAlert): NormalisedFinding {
  const { resources, reason } = resourcesOf(alert);
  return {
    source: 'falco',
    findingId: alertId(alert),
    findingType: alert.rule,
    types: [alert.rule],
    severity: falcoSeverity(falcoPriorityOf(alert.priority)),
    sourceSeverity: alert.priority,
    accountId: null,
    region: null,
    partition: null,
    productName: 'Falco',
    workflow: 'active',
    workflowReason: null,
    sample: false,
    resourceRole: null,
    updateCount: null,
    updatedAt: alert.time,
    resource: resources[0] ?? null,
    resources,
    unmappedReason: resources.length > 0 ? null : (reason ?? 'the alert names no host'),
  };
}

/** A body that is one Falco alert, as one event with one finding; InvalidFindingError names any bad field. */
export function normaliseFalcoAlert(body: unknown): NormalisedEvent {
  const alert = parsePart(falcoAlertSchema, body, []);
  const finding = normaliseFalcoFinding(alert);
  return { eventId: finding.findingId, source: 'falco', detailType: null, findings: [finding] };
}
