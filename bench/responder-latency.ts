/**
 * Created→Running of 50 concurrent host actions through `npm start`'s service and its in-process
 * host responder; prints `{ "samples": [ms, ...] }`. It uses only what both the current tree and
 * the tree before responders pulled their own queue have (startLocalService, the harness's
 * quarantineReport), so bench/responders.ts runs this very file in a worktree of that commit too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalService } from '#local/service.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { quarantineReport } from '#test/support/responder-harness.ts';

const concurrency = 50;
const hostName = 'bench-host';

const dataDir = await mkdtemp(join(tmpdir(), 'bench-responders-'));
const service = await startLocalService({
  dataDir,
  port: 0,
  env: {},
  hostResponder: {
    name: hostName,
    // Answers at once with a valid report: the figure is the path to the responder, not the action.
    actions: [{ type: 'file-quarantine', execute: (context) => Promise.resolve(quarantineReport(String(context.work.inputs['path.absolute']), context.work.actionId)) }],
  },
});
try {
  const token = await service.issuer.issue({ sub: 'bench', scopes: ['containment-response-actions.exec'] });
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  };
  const created = (await Promise.all(
    Array.from({ length: concurrency }, (_, index) =>
      call('POST', '/v1/actions', { type: 'file-quarantine', inputs: { 'host.id': hostName, 'path.absolute': `/srv/bench/file-${index}` } }),
    ),
  )) as ActionRecord[];
  const samples: number[] = [];
  for (const record of created) {
    for (;;) {
      const current = (await call('GET', `/v1/actions/${record.id}`)) as ActionRecord;
      if (current.status === 'Completed' || current.status === 'Error') {
        const at = (status: string): number => Date.parse(current.statusHistory.find((change) => change.status === status)?.at ?? 'NaN');
        if (current.status === 'Error') throw new Error(`action ${current.id} ended in Error: ${JSON.stringify(current.error)}`);
        samples.push(at('Running') - at('Created'));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  process.stdout.write(`${JSON.stringify({ samples })}\n`);
} finally {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
}
