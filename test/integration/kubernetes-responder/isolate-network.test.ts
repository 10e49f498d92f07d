import { describe, expect, it } from 'vitest';
import { execute, executeFailing } from './support/harness.ts';
import { deploymentPath, expectedPolicy, inputs, labels, networkPolicy, npName, ownRef, policiesPath, readsBeforeCreate, webSelector } from './support/isolate-network-fixtures.ts';
import { alreadyExists, apiGroupList, created, deployment, forbidden, namespace, notFound, ok } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import { validateNetworkPolicy } from './support/validate.ts';

// The NetworkPolicy itself: what it selects, selectors it translates or refuses, adoption after a crash, errors.
useTestApiServer();

describe('isolate-network', () => {
  it('isolates both directions with a NetworkPolicy selecting exactly the workload’s pods, and reports the policies that defeat it', async () => {
    // Prepare
    const body = expectedPolicy({ podSelector: webSelector, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    server.expect(...readsBeforeCreate(apiGroupList()), {
      method: 'POST',
      path: policiesPath,
      contentType: 'application/json',
      body,
      reply: created({ ...body, metadata: { ...(body['metadata'] as object), uid: 'uid-np', resourceVersion: '50124' } }),
    });

    // Act
    const { outcome, run } = await execute(h, { type: 'isolate-network', inputs });

    // Assess
    server.assertDone();
    validateNetworkPolicy(server.bodiesOf('POST', policiesPath)[0]);
    const prior = {
      workload: { kind: 'Deployment', name: 'web', namespace, uid: 'uid-web' },
      pods: { items: ['web-7d9f8c6b5-x8k2p', 'web-7d9f8c6b5-q4m7z'], count: 2, truncated: false },
      allowingPolicies: {
        items: [
          { name: 'allow-from-lb', directions: ['Ingress'], allowsAllIn: [] },
          { name: 'allow-all-egress', directions: ['Egress'], allowsAllIn: ['Egress'] },
        ],
        count: 2,
        truncated: false,
      },
    };
    expect(outcome).toEqual({
      prior,
      applied: { policies: [ownRef] },
      result: {
        policy: ownRef,
        denyPolicy: null,
        denyPolicyApi: null,
        directions: ['Ingress', 'Egress'],
        exception: null,
        selector: webSelector,
        pods: { items: ['web-7d9f8c6b5-x8k2p', 'web-7d9f8c6b5-q4m7z'], count: 2, truncated: false },
        defeatingPolicies: prior.allowingPolicies,
        isolationHolds: false,
        limitations: [],
      },
    });
    expect(run.progress).toEqual([{ prior }, { prior, applied: { policies: [ownRef] } }]);
  });


  it('translates matchExpressions selectors instead of refusing them', async () => {
    // Prepare
    const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'In', values: ['stable', 'canary'] }, { key: 'legacy', operator: 'DoesNotExist' }] };
    const workload = deployment('web', { selector, template: { metadata: { labels: { app: 'web', track: 'stable' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } });
    const policy = expectedPolicy({ podSelector: selector, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    server.expect(
      ...readsBeforeCreate(apiGroupList(), [], workload, 'app=web,track in (stable,canary),!legacy'),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: created(policy) },
    );

    // Act
    const { outcome } = await execute(h, { type: 'isolate-network', inputs });

    // Assess
    server.assertDone();
    validateNetworkPolicy(server.bodiesOf('POST', policiesPath)[0]);
    expect(outcome.result).toMatchObject({ selector });
  });

  it('refuses a workload whose selector would select the whole namespace', async () => {
    // Prepare
    server.expect({ method: 'GET', path: deploymentPath, reply: ok(deployment('web', { selector: {} })) });

    // Act
    const { error, run } = await executeFailing(h, { type: 'isolate-network', inputs });

    // Assess
    server.assertDone();
    expect(error.code).toBe('UnsupportedSelector');
    expect(error.message).toBe(`deployment web in namespace ${namespace} has an empty spec.selector, which would select every pod of the namespace; refusing to isolate them all`);
    expect(run.progress).toEqual([]);
  });

  it('adopts its own policy after a crash (same name, same action id) and refuses a stranger’s', async () => {
    // Prepare
    const policy = expectedPolicy({ podSelector: webSelector, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    const path = `${policiesPath}/${npName}`;
    server.expect(
      ...readsBeforeCreate(apiGroupList()),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: alreadyExists('networkpolicies', npName, 'networking.k8s.io') },
      { method: 'GET', path, reply: ok(networkPolicy(npName, {}, { labels })) },
      ...readsBeforeCreate(apiGroupList()),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: alreadyExists('networkpolicies', npName, 'networking.k8s.io') },
      { method: 'GET', path, reply: ok(networkPolicy(npName, {}, { labels: { team: 'shop' } })) },
    );

    // Act
    const adopted = await execute(h, { type: 'isolate-network', inputs });
    const stranger = await executeFailing(h, { type: 'isolate-network', inputs });

    // Assess
    server.assertDone();
    expect(adopted.outcome.applied).toEqual({ policies: [ownRef] });
    expect(stranger.error.code).toBe('Conflict');
    expect(stranger.error.message).toBe(`NetworkPolicy ${npName} already exists and was not created by this action; delete or rename it, then re-execute`);
  });

  it('maps a missing workload to TargetNotFound and a refused create to AccessDenied', async () => {
    // Prepare
    const policy = expectedPolicy({ podSelector: webSelector, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    server.expect(
      { method: 'GET', path: deploymentPath, reply: notFound('deployments', 'web', 'apps') },
      ...readsBeforeCreate(apiGroupList()),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: forbidden('create', 'networkpolicies', 'networking.k8s.io', namespace) },
    );

    // Act
    const missing = await executeFailing(h, { type: 'isolate-network', inputs });
    const refused = await executeFailing(h, { type: 'isolate-network', inputs });

    // Assess
    server.assertDone();
    expect(missing.error.code).toBe('TargetNotFound');
    expect(refused.error.code).toBe('AccessDenied');
    expect(refused.error.message).toContain('may not create networkpolicies (API group networking.k8s.io) "ra-isolate-web-3f2a9c1e" in namespace shop');
    // Only the prior was recorded: nothing was applied.
    expect(refused.run.progress.map((progress) => progress.applied)).toEqual([undefined]);
  });
});
