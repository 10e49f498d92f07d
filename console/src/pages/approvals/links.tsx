import type { ReactNode } from 'react';

export { AppLink } from '../../components/app-link.tsx';

export const actionHref = (id: string): string => `/actions/${encodeURIComponent(id)}`;
export const approvalHref = (id: string): string => `/approvals/${encodeURIComponent(id)}`;
export const playbookRunHref = (id: string): string => `/playbook-runs/${encodeURIComponent(id)}`;

/** Text that may break anywhere: finding types, ARNs and ids have no spaces and would widen a column past the window. */
export function Wrapped({ children }: { readonly children: ReactNode }) {
  return <span style={{ overflowWrap: 'anywhere' }}>{children}</span>;
}
