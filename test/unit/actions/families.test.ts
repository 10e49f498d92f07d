import { describe, expect, it } from 'vitest';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { localCloudActionFamilies } from '#local/families.ts';
import type { EvidenceStore } from '#shared/ports.ts';

/** Listing the families writes no evidence. */
const unusedEvidence: EvidenceStore = {
  put: () => Promise.reject(new Error('not used')),
  list: () => Promise.reject(new Error('not used')),
  downloadUrl: () => Promise.reject(new Error('not used')),
  uploadUrl: () => Promise.reject(new Error('not used')),
};

// Every family's action files are the source of its types: the deployment data (which the API and
// the CDK app read without bundling any SDK client) must list exactly the types the actions define.
describe('cloud action families', () => {
  const families = localCloudActionFamilies({ evidence: unusedEvidence });

  it.each(cloudActionFamilyDeployments.map((deployment) => [deployment.name, deployment] as const))(
    'the %s deployment lists exactly the types its actions define',
    (name, deployment) => {
      // Act
      const family = families.find((candidate) => candidate.name === name);

      // Assess
      expect(family?.actions.map((action) => action.type).sort()).toEqual([...deployment.types].sort());
    },
  );

  it('has a deployment for every family, and each undo type undoes a type of its own family', () => {
    for (const family of families) {
      const types = family.actions.map((action) => action.type);
      expect(cloudActionFamilyDeployments.map((deployment) => deployment.name)).toContain(family.name);
      for (const action of family.actions) {
        if (action.undoes !== undefined) expect(types).toContain(action.undoes);
      }
    }
  });
});
