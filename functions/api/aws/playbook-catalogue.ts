/**
 * The playbooks in force in a function in AWS, apart from the run use cases so that GET
 * /v1/playbooks bundles no table client. Environment: PLAYBOOKS (unset: the built-in playbooks only),
 * the JSON synthesis ships, and PLAYBOOKS_SHA256, the digest of the file the operator gave.
 */
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { describePlaybook, loadShippedPlaybookCatalogue, playbooksSha256Variable } from '#shared/playbooks/definitions/index.ts';
import type { PlaybookCatalogue, PlaybookRuns } from '#shared/playbooks/types.ts';

/** The playbooks in force (PLAYBOOKS, validated at start-up: a bad file stops the function, naming the playbook and field). */
export function playbookCatalogueFromEnv(env: Environment): PlaybookCatalogue {
  return loadShippedPlaybookCatalogue(loadConfig(env).playbooksFile, env[playbooksSha256Variable]);
}

/** GET /v1/playbooks: the catalogue alone, with no table, no starter and no planner. */
export function playbookDescriptionsFromEnv(env: Environment): Pick<PlaybookRuns, 'describe'> {
  const catalogue = playbookCatalogueFromEnv(env);
  return { describe: () => catalogue.list().map((playbook) => describePlaybook(playbook)) };
}
