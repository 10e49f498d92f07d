import Box from '@cloudscape-design/components/box';
import CopyToClipboard from '@cloudscape-design/components/copy-to-clipboard';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Table from '@cloudscape-design/components/table';
import { useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../../api/client.ts';
import { useApi, useApiGet } from '../../api/hooks.ts';
import type { ActionStatus, EvidenceObject } from '../../api/types.ts';
import { ProblemAlert } from '../../components/problem.tsx';
import { Time } from '../../components/time.tsx';

// A link this close to its end is fetched anew before opening: the download may not start in time.
const expiryMarginMs = 15_000;

/**
 * An action's evidence objects (`GET /v1/actions/{id}/evidence`): each object's SHA-256 in full,
 * to copy and compare, and a download through the service's signed, short-lived link. Fetched
 * again whenever the action's status changes (evidence lands while it runs).
 */
export function EvidenceTable({ actionId, status, gathersEvidence = false }: { readonly actionId: string; readonly status: ActionStatus; readonly gathersEvidence?: boolean }) {
  const api = useApi();
  const path = `/v1/actions/${encodeURIComponent(actionId)}/evidence`;
  const evidence = useApiGet<{ items: EvidenceObject[] }>(path);
  const [openError, setOpenError] = useState<Error | undefined>(undefined);
  const seenStatus = useRef(status);
  const { reload } = evidence;
  useEffect(() => {
    if (seenStatus.current === status) return;
    seenStatus.current = status;
    reload();
  }, [status, reload]);

  return (
    <Table
      header={<Header variant="h2" counter={evidence.data === undefined ? undefined : `(${evidence.data.items.length})`} description="Each object's SHA-256 in full; download links are signed and short-lived.">Evidence</Header>}
      ariaLabels={{ tableLabel: 'Evidence' }}
      loading={evidence.loading}
      loadingText="Loading evidence"
      items={[...(evidence.data?.items ?? [])]}
      trackBy="key"
      wrapLines
      empty={
        <Box color="text-status-inactive">
          {gathersEvidence
            ? // A snapshot is evidence kept in the target account: no file here, but its ids are in Result.
              'No evidence file stored for this action. What an evidence action keeps in the target account itself (an EBS snapshot, for example) is named in its Result above.'
            : 'No evidence stored for this action.'}
        </Box>
      }
      filter={
        <>
          <ProblemAlert error={evidence.error} header="The evidence could not be listed" />
          <ProblemAlert error={openError} header="The download link could not be renewed" />
        </>
      }
      columnDefinitions={[
        { id: 'name', header: 'Name', cell: (object) => object.name },
        { id: 'size', header: 'Size (bytes)', cell: (object) => object.size.toLocaleString('en-US') },
        { id: 'type', header: 'Content type', cell: (object) => object.contentType },
        {
          id: 'sha256',
          header: 'SHA-256',
          cell: (object) => (
            <CopyToClipboard
              variant="inline"
              textToCopy={object.sha256}
              textToDisplay={<code>{object.sha256}</code>}
              copyButtonAriaLabel={`Copy the SHA-256 of ${object.name}`}
              copySuccessText="SHA-256 copied"
              copyErrorText="The SHA-256 could not be copied"
            />
          ),
        },
        { id: 'created', header: 'Stored', cell: (object) => <Time value={object.createdAt} /> },
        {
          id: 'download',
          header: 'Download',
          cell: (object) => (downloadable(object.downloadUrl) === null ? (
            <Box color="text-status-error">link refused (not https)</Box>
          ) : (
            <Link
              href={downloadable(object.downloadUrl) ?? ''}
              external
              externalIconAriaLabel="(opens a new tab)"
              ariaLabel={`Download ${object.name}`}
              onFollow={(event) => {
                if (Date.parse(object.downloadUrlExpiresAt) - Date.now() > expiryMarginMs) return;
                // Expired: ask for a fresh link, then open it (the list shown is refreshed too).
                event.preventDefault();
                const opened = window.open('about:blank', '_blank');
                void renewed(api, path, object).then(
                  (url) => {
                    setOpenError(undefined);
                    if (opened !== null) {
                      opened.opener = null;
                      opened.location.href = url;
                    }
                    reload();
                  },
                  (error: unknown) => {
                    opened?.close();
                    setOpenError(error instanceof Error ? error : new Error(String(error)));
                  },
                );
              }}
            >
              Download
            </Link>
          )),
        },
      ]}
    />
  );
}

/** A fresh download link for `object`, from the list fetched again now. */
async function renewed(api: ApiClient, path: string, object: EvidenceObject): Promise<string> {
  const { items } = await api.get<{ items: EvidenceObject[] }>(path);
  const fresh = items.find((item) => item.key === object.key);
  if (fresh === undefined) throw new Error(`${object.name} is no longer stored for this action.`);
  const url = downloadable(fresh.downloadUrl);
  if (url === null) throw new Error(`the service gave ${object.name} a download link that is not https; refusing to open it.`);
  return url;
}

/**
 * The service signs download links (S3 presigned URLs in AWS, this site's own `/local-evidence/`
 * locally); even so, only an https link or one on this very origin is opened, never `javascript:`
 * or another scheme a compromised answer could carry.
 */
function downloadable(url: string): string | null {
  try {
    const parsed = new URL(url, window.location.origin);
    if (parsed.protocol === 'https:' || parsed.origin === window.location.origin) return parsed.href;
  } catch {
    return null;
  }
  return null;
}
