/**
 * The console's page addresses, written once: every link and every navigation after a create
 * builds its address here, so a page's address and the links to it cannot drift apart. Ids, names
 * and resource keys are URL-encoded (a resource key holds `/`, an id could hold anything).
 */

export const actionPath = (id: string): string => `/actions/${encodeURIComponent(id)}`;
export const approvalPath = (id: string): string => `/approvals/${encodeURIComponent(id)}`;
export const playbookPath = (name: string): string => `/playbooks/${encodeURIComponent(name)}`;
export const playbookRunPath = (id: string): string => `/playbook-runs/${encodeURIComponent(id)}`;

/** The address of a resource's history (API.md: `/resources/{resource key, URL-encoded}`). */
export const resourcePath = (key: string): string => `/resources/${encodeURIComponent(key)}`;

/** The automation decisions on one finding, or of one rule. */
export const eventsPath = (filter: { readonly findingId: string } | { readonly ruleId: string }): string =>
  'findingId' in filter ? `/events?findingId=${encodeURIComponent(filter.findingId)}` : `/events?ruleId=${encodeURIComponent(filter.ruleId)}`;

/** The run form with these query-string parameters (`type`, `reason`, input names). */
export function runPath(params: readonly (readonly [string, string])[]): string {
  const query = new URLSearchParams(params.map(([name, value]) => [name, value])).toString();
  return query === '' ? '/run' : `/run?${query}`;
}

/**
 * The run form pre-filled for a resource, where its key says which inputs it is: an ARN is
 * `aws.resource.arn`; a host key (`host/<id>/...`) gives `host.id`; a Kubernetes key gives the
 * cluster and namespace (and the pod or node). Any other key opens the empty form.
 */
export function runPathFor(key: string): string {
  return runPath(Object.entries(runInputsFor(key)));
}

function runInputsFor(key: string): Record<string, string> {
  if (key.startsWith('arn:')) return { 'aws.resource.arn': key };
  const parts = key.split('/');
  const [root, first, second, third, fourth] = parts;
  if (root === 'host' && first !== undefined && first !== '') return { 'host.id': first };
  if (root === 'k8s' && first !== undefined && first !== '') {
    if (second === 'node' && third !== undefined && parts.length === 4) return { 'kubernetes.cluster.name': first, 'kubernetes.node.name': third };
    if (second === undefined) return { 'kubernetes.cluster.name': first };
    if (third === 'pod' && fourth !== undefined && parts.length === 5) {
      return { 'kubernetes.cluster.name': first, 'kubernetes.namespace.name': second, 'kubernetes.pod.name': fourth };
    }
    return { 'kubernetes.cluster.name': first, 'kubernetes.namespace.name': second };
  }
  return {};
}
