import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { systemClock } from '#shared/clock.ts';
import { evidenceFromEnv } from './aws/evidence.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';
import { appendToTrail, type TrailAppender } from '#shared/trail/appender.ts';
import { environmentTrail } from '#shared/trail/trail-from-env.ts';

/**
 * GET /v1/actions/{id}/evidence: objects with name, size, sha256 and a short-lived download URL.
 * Each URL handed out is on the trail with the caller's subject (never the URL: it is a bearer secret).
 */
export function createHandler(deps: { service: ActionService; trail?: TrailAppender | null }): ApiHandler {
  const trail = deps.trail === undefined ? environmentTrail() : deps.trail;
  return apiHandler(
    async ({ caller, pathParameters }) => {
      const actionId = pathParameters['id'] ?? '';
      const items = await deps.service.evidence(caller, actionId);
      await appendToTrail(
        trail,
        items.map((item) => ({
          kind: 'evidence.url-issued' as const,
          subject: { type: 'evidence' as const, id: item.key },
          actor: caller.sub,
          digest: /^[0-9a-f]{64}$/.test(item.sha256) ? item.sha256 : null,
          refs: { actionId },
          detail: { expiresAt: item.downloadUrlExpiresAt },
        })),
      );
      return { status: 200, body: { items }, headers: { 'cache-control': 'no-store' } };
    },
    { body: 'none' },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const evidence = evidenceFromEnv(process.env);
  return Promise.resolve(createHandler({ service: new ActionService({ repository, starters: {}, evidence, clock: systemClock }) }));
});
