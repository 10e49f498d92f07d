import Link, { type LinkProps } from '@cloudscape-design/components/link';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';

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

/**
 * A link inside the console. It navigates through react-router: a full page load would drop the
 * in-memory session and sign the person out.
 */
export function AppLink({ href, children, ariaLabel, variant }: { readonly href: string; readonly children: ReactNode; readonly ariaLabel?: string; readonly variant?: LinkProps.Variant }) {
  const navigate = useNavigate();
  return (
    <Link
      href={href}
      {...(ariaLabel === undefined ? {} : { ariaLabel })}
      {...(variant === undefined ? {} : { variant })}
      onFollow={(event) => {
        event.preventDefault();
        void navigate(href);
      }}
    >
      {children}
    </Link>
  );
}
