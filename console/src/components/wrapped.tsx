import type { ReactNode } from 'react';

/** Text that may break anywhere: finding types, ARNs and ids have no spaces and would widen a column past the window. */
export function Wrapped({ children }: { readonly children: ReactNode }) {
  return <span className="ra-break-anywhere">{children}</span>;
}
