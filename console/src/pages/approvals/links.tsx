import Link, { type LinkProps } from '@cloudscape-design/components/link';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';

/**
 * A link to another page of the console. It navigates inside the app: a full page load would
 * forget the in-memory session and sign the person out.
 */
export function AppLink({ href, children, ariaLabel, variant }: { readonly href: string; readonly children: ReactNode; readonly ariaLabel?: string; readonly variant?: LinkProps['variant'] }) {
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

export const actionHref = (id: string): string => `/actions/${encodeURIComponent(id)}`;
export const approvalHref = (id: string): string => `/approvals/${encodeURIComponent(id)}`;
export const playbookRunHref = (id: string): string => `/playbook-runs/${encodeURIComponent(id)}`;

/** Text that may break anywhere: finding types, ARNs and ids have no spaces and would widen a column past the window. */
export function Wrapped({ children }: { readonly children: ReactNode }) {
  return <span style={{ overflowWrap: 'anywhere' }}>{children}</span>;
}
