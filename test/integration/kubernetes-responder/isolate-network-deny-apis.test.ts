import { describe, expect, it } from 'vitest';
import { execute, harness } from './support/harness.ts';
import { deploymentPath, expectedPolicy, inputs, labels, list, ownRef, podsPath, policiesPath, readsBeforeCreate, webSelector } from './support/isolate-network-fixtures.ts';
import { apiGroupList, apiResourceList, created, deployment, namespace, ok } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import { validateCustomObject, validateNetworkPolicy } from './support/validate.ts';

// The deny APIs beside the NetworkPolicy: AdminNetworkPolicy, Calico, Cilium, and when one is skipped.
useTestApiServer();

describe('isolate-network', () => {
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
});
