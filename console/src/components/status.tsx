import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';

const indicator: Record<string, StatusIndicatorProps.Type> = {
  Created: 'pending',
  Enqueued: 'pending',
  Pending: 'pending',
  Running: 'in-progress',
  Completed: 'success',
  Error: 'error',
  Skipped: 'stopped',
  pending: 'pending',
  approved: 'success',
  rejected: 'stopped',
  expired: 'stopped',
};

/** A status as its word (API.md: the page shows `Completed`, `Error`, ... as text) with an icon that only repeats it. */
export function StatusText({ status }: { readonly status: string }) {
  return <StatusIndicator type={indicator[status] ?? 'info'}>{status}</StatusIndicator>;
}
