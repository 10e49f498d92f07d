import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actionId, execute, executeFailing, harness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';
import {
  alreadyExists,
  apiGroupList,
  apiResourceList,
  clusterName,
  created,
  deployment,
  forbidden,
  namespace,
  notFound,
  objectMeta,
  ok,
  pod,
  webTemplateLabels,
} from './support/kubernetes-objects.ts';
import { TestApiServer } from './support/test-api-server.ts';
import type { ExpectedRequest } from './support/test-api-server.ts';
import { validateCustomObject, validateNetworkPolicy } from './support/validate.ts';

let server: TestApiServer;
let h: Harness;

beforeAll(async () => {
  server = await TestApiServer.start();
  h = harness(server);
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

const deploymentPath = `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
const podsPath = `/api/v1/namespaces/${namespace}/pods`;
const policiesPath = `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;
const npName = 'ra-isolate-web-3f2a9c1e';
const labels = {
  'app.kubernetes.io/managed-by': 'response-actions',
  'response-actions.io/action-id': actionId,
  'response-actions.io/action-type': 'isolate-network',
};
const inputs = {
  'kubernetes.cluster.name': clusterName,
  'kubernetes.namespace.name': namespace,
  'kubernetes.workload.name': 'web',
  'kubernetes.workload.type': 'deployment',
};
const webSelector = { matchLabels: { app: 'web', tier: 'frontend' } };

function networkPolicy(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: objectMeta(name, { generation: 1, ...extra }), spec };
}

function list(kind: string, items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: kind === 'PodList' ? 'v1' : 'networking.k8s.io/v1', kind, metadata: { resourceVersion: '50123' }, items };
}

/** The namespace's existing policies: two defeat the isolation, two do not. */
const existingPolicies = [
  // Selects the web pods and allows ingress from the load balancer: defeats ingress isolation.
  networkPolicy('allow-from-lb', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'lb' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }], policyTypes: ['Ingress'] }),
  // Allows all egress of every pod of the namespace (empty selector, empty rule).
  networkPolicy('allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] }),
  // Selects other pods only.
  networkPolicy('db-ingress', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }], policyTypes: ['Ingress'] }),
  // Selects the web pods but allows nothing (a deny-all of its own).
  networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
];

function readsBeforeCreate(groups: Record<string, unknown>, extra: readonly ExpectedRequest[] = [], workload = deployment('web'), podLabelSelector = 'app=web,tier=frontend'): ExpectedRequest[] {
  return [
    { method: 'GET', path: deploymentPath, reply: ok(workload) },
    {
      method: 'GET',
      path: podsPath,
      query: { labelSelector: podLabelSelector },
      reply: ok(list('PodList', [pod('web-7d9f8c6b5-x8k2p'), pod('web-7d9f8c6b5-q4m7z', { labels: { ...webTemplateLabels, quarantine: 'pending' } })])),
    },
    { method: 'GET', path: policiesPath, reply: ok(list('NetworkPolicyList', existingPolicies)) },
    { method: 'GET', path: '/apis', reply: ok(groups) },
    ...extra,
  ];
}

function expectedPolicy(spec: Record<string, unknown>, companions?: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: npName,
      namespace,
      labels,
      annotations: {
        'response-actions.io/workload': 'deployment/web',
        ...(companions === undefined ? {} : { 'response-actions.io/companions': JSON.stringify(companions) }),
      },
    },
    spec,
  };
}

const ownRef = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: npName, namespace };

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

  it('adds an AdminNetworkPolicy where the cluster serves one, with the forensics exception first, so other policies cannot defeat the isolation', async () => {
    // Prepare
    const withException = { ...inputs, 'network.direction': 'EGRESS', 'network.cidr': '10.20.30.40/16', 'network.protocol': 'TCP', 'network.port': 22 };
    const anpName = 'ra-deny-shop-web-3f2a9c1e';
    const anpRef = { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', name: anpName, namespace: null };
    const policy = expectedPolicy(
      { podSelector: webSelector, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 22 }] }] },
      [anpRef],
    );
    const adminPolicy = {
      apiVersion: 'policy.networking.k8s.io/v1alpha1',
      kind: 'AdminNetworkPolicy',
      metadata: { name: anpName, labels, annotations: { 'response-actions.io/workload': 'deployment/web' } },
      spec: {
        priority: 10,
        subject: { pods: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: webSelector } },
        egress: [
          { name: 'response-actions-allow-exception', action: 'Allow', to: [{ networks: ['10.20.0.0/16'] }], ports: [{ portNumber: { protocol: 'TCP', port: 22 } }] },
          { name: 'response-actions-deny-egress', action: 'Deny', to: [{ namespaces: {} }, { networks: ['0.0.0.0/0', '::/0'] }] },
        ],
      },
    };
    server.expect(
      ...readsBeforeCreate(apiGroupList('policy.networking.k8s.io/v1alpha1', 'cilium.io/v2'), [
        {
          method: 'GET',
          path: '/apis/policy.networking.k8s.io/v1alpha1',
          reply: ok(
            apiResourceList('policy.networking.k8s.io/v1alpha1', [
              { name: 'adminnetworkpolicies', kind: 'AdminNetworkPolicy', namespaced: false },
              { name: 'baselineadminnetworkpolicies', kind: 'BaselineAdminNetworkPolicy', namespaced: false },
            ]),
          ),
        },
      ]),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: created(policy) },
      { method: 'POST', path: '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies', contentType: 'application/json', body: adminPolicy, reply: created(adminPolicy) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'isolate-network', inputs: withException });

    // Assess
    server.assertDone();
    validateNetworkPolicy(server.bodiesOf('POST', policiesPath)[0]);
    validateCustomObject(server.bodiesOf('POST', '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies')[0], 'policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', false, [
      ['spec', 'subject', 'pods', 'namespaceSelector'],
      ['spec', 'subject', 'pods', 'podSelector'],
    ]);
    expect(outcome.applied).toEqual({ policies: [ownRef, anpRef] });
    expect(outcome.result).toMatchObject({
      denyPolicy: { ...anpRef, covers: ['Egress'] },
      denyPolicyApi: 'policy.networking.k8s.io/v1alpha1',
      directions: ['Egress'],
      exception: { cidr: '10.20.0.0/16', protocol: 'TCP', port: 22 },
      defeatingPolicies: { items: [{ name: 'allow-all-egress', directions: ['Egress'], allowsAllIn: ['Egress'] }], count: 1, truncated: false },
      isolationHolds: true,
      limitations: [],
    });
    // applied grew as each policy was created, so a failure in between leaves undo the truth.
    expect(run.progress.map((progress) => progress.applied)).toEqual([undefined, { policies: [ownRef] }, { policies: [ownRef, anpRef] }]);
  });

  it('prefers a Calico NetworkPolicy to a CiliumNetworkPolicy: ordered Allow-then-Deny expresses the exception exactly', async () => {
    // Prepare
    const withException = { ...inputs, 'network.cidr': '192.0.2.10/32' };
    const calicoName = 'ra-deny-web-3f2a9c1e';
    const calicoRef = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', name: calicoName, namespace };
    const policy = expectedPolicy(
      {
        podSelector: webSelector,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ ipBlock: { cidr: '192.0.2.10/32' } }] }],
        egress: [{ to: [{ ipBlock: { cidr: '192.0.2.10/32' } }] }],
      },
      [calicoRef],
    );
    const calicoPolicy = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: calicoName, namespace, labels, annotations: { 'response-actions.io/workload': 'deployment/web' } },
      spec: {
        order: 0,
        selector: "app == 'web' && tier == 'frontend'",
        types: ['Ingress', 'Egress'],
        ingress: [{ action: 'Allow', source: { nets: ['192.0.2.10/32'] } }, { action: 'Deny' }],
        egress: [{ action: 'Allow', destination: { nets: ['192.0.2.10/32'] } }, { action: 'Deny' }],
      },
    };
    server.expect(
      ...readsBeforeCreate(apiGroupList('cilium.io/v2', 'projectcalico.org/v3'), [
        { method: 'GET', path: '/apis/projectcalico.org/v3', reply: ok(apiResourceList('projectcalico.org/v3', [{ name: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true }])) },
      ]),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: created(policy) },
      { method: 'POST', path: `/apis/projectcalico.org/v3/namespaces/${namespace}/networkpolicies`, contentType: 'application/json', body: calicoPolicy, reply: created(calicoPolicy) },
    );

    // Act
    const { outcome } = await execute(h, { type: 'isolate-network', inputs: withException });

    // Assess
    server.assertDone();
    validateNetworkPolicy(server.bodiesOf('POST', policiesPath)[0]);
    validateCustomObject(server.bodiesOf('POST', `/apis/projectcalico.org/v3/namespaces/${namespace}/networkpolicies`)[0], 'projectcalico.org/v3', 'NetworkPolicy', true);
    expect(outcome.applied).toEqual({ policies: [ownRef, calicoRef] });
    expect(outcome.result).toMatchObject({ denyPolicy: { ...calicoRef, covers: ['Ingress', 'Egress'] }, isolationHolds: true, limitations: [] });
  });

  it('uses a CiliumNetworkPolicy with deny rules when that is what the cluster serves', async () => {
    // Prepare
    const ciliumName = 'ra-deny-web-3f2a9c1e';
    const ciliumRef = { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', name: ciliumName, namespace };
    const policy = expectedPolicy({ podSelector: webSelector, policyTypes: ['Ingress'], ingress: [] }, [ciliumRef]);
    const ciliumPolicy = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: ciliumName, namespace, labels, annotations: { 'response-actions.io/workload': 'deployment/web' } },
      spec: { endpointSelector: webSelector, ingressDeny: [{ fromEntities: ['all'] }] },
    };
    server.expect(
      ...readsBeforeCreate(apiGroupList('cilium.io/v2'), [
        {
          method: 'GET',
          path: '/apis/cilium.io/v2',
          reply: ok(apiResourceList('cilium.io/v2', [{ name: 'ciliumnetworkpolicies', kind: 'CiliumNetworkPolicy', namespaced: true }, { name: 'ciliumendpoints', kind: 'CiliumEndpoint', namespaced: true }])),
        },
      ]),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: created(policy) },
      { method: 'POST', path: `/apis/cilium.io/v2/namespaces/${namespace}/ciliumnetworkpolicies`, contentType: 'application/json', body: ciliumPolicy, reply: created(ciliumPolicy) },
    );

    // Act
    const { outcome } = await execute(h, { type: 'isolate-network', inputs: { ...inputs, 'network.direction': 'INGRESS' } });

    // Assess
    server.assertDone();
    validateCustomObject(server.bodiesOf('POST', `/apis/cilium.io/v2/namespaces/${namespace}/ciliumnetworkpolicies`)[0], 'cilium.io/v2', 'CiliumNetworkPolicy', true, [['spec', 'endpointSelector']]);
    expect(outcome.result).toMatchObject({
      denyPolicy: { ...ciliumRef, covers: ['Ingress'] },
      defeatingPolicies: { items: [{ name: 'allow-from-lb', directions: ['Ingress'], allowsAllIn: [] }], count: 1, truncated: false },
      isolationHolds: true,
    });
  });

  it('skips a deny API the operator turned off, and one whose group lacks the policy resource', async () => {
    // Prepare
    const off = harness(server, { settings: { denyPolicyKinds: [] } });
    const policy = expectedPolicy({ podSelector: webSelector, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    server.expect(
      // Turned off: no discovery at all.
      { method: 'GET', path: deploymentPath, reply: ok(deployment('web')) },
      { method: 'GET', path: podsPath, query: { labelSelector: 'app=web,tier=frontend' }, reply: ok(list('PodList', [])) },
      { method: 'GET', path: policiesPath, reply: ok(list('NetworkPolicyList', [])) },
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: created(policy) },
      // The ANP group serves only BaselineAdminNetworkPolicy.
      ...readsBeforeCreate(apiGroupList('policy.networking.k8s.io/v1alpha1'), [
        {
          method: 'GET',
          path: '/apis/policy.networking.k8s.io/v1alpha1',
          reply: ok(apiResourceList('policy.networking.k8s.io/v1alpha1', [{ name: 'baselineadminnetworkpolicies', kind: 'BaselineAdminNetworkPolicy', namespaced: false }])),
        },
      ]),
      { method: 'POST', path: policiesPath, contentType: 'application/json', body: policy, reply: created(policy) },
    );

    // Act
    const turnedOff = await execute(off, { type: 'isolate-network', inputs });
    const noResource = await execute(h, { type: 'isolate-network', inputs });

    // Assess
    server.assertDone();
    expect(turnedOff.outcome.result).toMatchObject({ denyPolicy: null, pods: { items: [], count: 0, truncated: false }, defeatingPolicies: { items: [], count: 0, truncated: false }, isolationHolds: true });
    expect(noResource.outcome.result).toMatchObject({ denyPolicy: null, denyPolicyApi: null, isolationHolds: false });
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
