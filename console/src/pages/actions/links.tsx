
/** The address of a resource's history (API.md: `/resources/{resource key, URL-encoded}`). */
export function resourcePath(key: string): string {
  return `/resources/${encodeURIComponent(key)}`;
}

/**
 * The run form pre-filled for a resource, where its key says which inputs it is: an ARN is
 * `aws.resource.arn`; a host key (`host/<id>/...`) gives `host.id`; a Kubernetes key gives the
 * cluster and namespace (and the pod or node). Any other key opens the empty form.
 */
export function runPathFor(key: string): string {
  const inputs = runInputsFor(key);
  const query = new URLSearchParams(inputs).toString();
  return query === '' ? '/run' : `/run?${query}`;
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

export { AppLink } from '../../components/app-link.tsx';
