import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useApiGet } from '../../api/hooks.ts';
import type { Responder } from '../../api/types.ts';
import { ListHeader } from '../../components/list-header.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { Time } from '../../components/time.tsx';
import { Wrapped } from '../../components/wrapped.tsx';

/** Responders heartbeat every 30 s; four missed in a row is worth a look. */
const silentAfterMs = 120_000;

const text = (value: unknown): string => (typeof value === 'string' ? value : '—');

/** The responder's capabilities (the action types it runs), as it registered them. */
function capabilitiesOf(responder: Responder): string {
  const value = responder['capabilities'];
  if (!Array.isArray(value) || value.length === 0) return '—';
  return value.filter((each): each is string => typeof each === 'string').join(', ');
}

function Heartbeat({ lastSeen, now }: { readonly lastSeen: unknown; readonly now: number }) {
  const at = typeof lastSeen === 'string' ? Date.parse(lastSeen) : Number.NaN;
  if (Number.isNaN(at)) return <StatusIndicator type="info">Unknown</StatusIndicator>;
  return now - at > silentAfterMs ? <StatusIndicator type="warning">Silent</StatusIndicator> : <StatusIndicator type="success">Heartbeating</StatusIndicator>;
}

/**
 * `/responders`: the host and Kubernetes responders registered with the service, and when each
 * was last heard from. Everything here is what the responders said about themselves: text only.
 */
export function RespondersPage() {
  const { data, error, loading, reload } = useApiGet<{ readonly items: readonly Responder[] }>('/v1/responders');
  const items = data?.items ?? [];
  // The time of this answer: "silent" is judged against when the list was read.
  const now = Date.now();

  return (
    <SpaceBetween size="l">
      <ProblemAlert error={error} header="The responders could not be loaded" />
      <Table
        variant="full-page"
        items={[...items]}
        loading={loading}
        loadingText="Loading responders"
        trackBy="id"
        wrapLines
        ariaLabels={{ tableLabel: 'Responders' }}
        header={<ListHeader title="Responders" noun="responders" description="The host and Kubernetes responders that run actions on machines and clusters. Each heartbeats every 30 s." shown={data === undefined ? undefined : items.length} loading={loading} reload={reload} />}
        empty={
          <Box textAlign="center" color="inherit" padding="m">
            No responder is registered. A host or Kubernetes responder registers itself when it starts.
          </Box>
        }
        columnDefinitions={[
          { id: 'kind', header: 'Kind', minWidth: 90, cell: (responder) => responder.kind },
          { id: 'name', header: 'Host or cluster', minWidth: 180, cell: (responder) => <Wrapped>{text(responder['name'])}</Wrapped> },
          { id: 'version', header: 'Version', minWidth: 90, cell: (responder) => text(responder['version']) },
          { id: 'heartbeat', header: 'Heartbeat', minWidth: 170, cell: (responder) => <Heartbeat lastSeen={responder['lastSeen']} now={now} /> },
          { id: 'lastSeen', header: 'Last seen', minWidth: 110, cell: (responder) => <Time value={typeof responder['lastSeen'] === 'string' ? responder['lastSeen'] : null} /> },
          { id: 'registered', header: 'Registered', minWidth: 110, cell: (responder) => <Time value={typeof responder['registeredAt'] === 'string' ? responder['registeredAt'] : null} /> },
          { id: 'capabilities', header: 'Capabilities', cell: (responder) => <Wrapped>{capabilitiesOf(responder)}</Wrapped> },
        ]}
      />
    </SpaceBetween>
  );
}
