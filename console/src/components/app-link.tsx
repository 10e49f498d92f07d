import Link, { type LinkProps } from '@cloudscape-design/components/link';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';

/**
 * A link to another page of the console. It navigates through react-router: a full page load
 * would drop the in-memory session and sign the person out.
 */
export function AppLink({ href, children, ...rest }: { readonly href: string; readonly children: ReactNode } & Omit<LinkProps, 'href' | 'onFollow' | 'children'>) {
  const navigate = useNavigate();
  return (
    <Link
      {...rest}
      href={href}
      onFollow={(event) => {
        event.preventDefault();
        void navigate(href);
      }}
    >
      {children}
    </Link>
  );
}
