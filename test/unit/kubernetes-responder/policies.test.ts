import { describe, expect, it } from 'vitest';
import { canonicalCidr } from '../../../responders/kubernetes/cidr.ts';
import { denyPolicyPlan } from '../../../responders/kubernetes/deny-policies.ts';
import { defeatingPolicies, isolationNetworkPolicy, policyDirections } from '../../../responders/kubernetes/network-policies.ts';
import type { IsolationSpec, NetworkException, NetworkPolicyLike } from '../../../responders/kubernetes/network-policies.ts';
import { validateCustomObject, validateNetworkPolicy } from '../../integration/kubernetes-responder/support/validate.ts';

const base: IsolationSpec = {
  namespace: 'shop',
  selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'In', values: ['stable'] }] },
  directions: ['Ingress', 'Egress'],
  exception: null,
  labels: { 'app.kubernetes.io/managed-by': 'response-actions' },
  annotations: { 'response-actions.io/workload': 'deployment/web' },
};
const settings = { adminNetworkPolicyPriority: 10, calicoPolicyOrder: 0 };
const exception = (cidr: string | null, protocol: NetworkException['protocol'], port: number | null): NetworkException => ({
  cidr: cidr === null ? null : canonicalCidr(cidr),
  protocol,
  port,
});

describe('the isolation NetworkPolicy', () => {
  it.each([
    ['no exception', base, { ingress: [], egress: [] }],
    ['an address range', { ...base, exception: exception('10.1.2.3/8', null, null) }, { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] }],
    ['a protocol only', { ...base, directions: ['Egress'] as const, exception: exception(null, 'UDP', null) }, { egress: [{ ports: [{ protocol: 'UDP' }] }] }],
    [
      'range, protocol and port, ingress only',
      { ...base, directions: ['Ingress'] as const, exception: exception('2001:db8::/32', 'SCTP', 3868) },
      { ingress: [{ from: [{ ipBlock: { cidr: '2001:db8::/32' } }], ports: [{ protocol: 'SCTP', port: 3868 }] }] },
    ],
  ])('with %s, allows nothing else and validates', (_case, spec, rules) => {
    // Act
    const policy = isolationNetworkPolicy('ra-isolate-web-3f2a9c1e', spec);

    // Assess
    validateNetworkPolicy(policy);
    expect(policy['spec']).toEqual({ podSelector: base.selector, policyTypes: [...spec.directions], ...rules });
  });
});

describe('defeating policies', () => {
  const policy = (name: string, spec: NetworkPolicyLike['spec']): NetworkPolicyLike => ({ metadata: { name }, spec });

  it('counts a policy that selects the pods and allows traffic in an isolated direction, and nothing else', () => {
    // Prepare
    const policies = [
      policy('ra-isolate-web-3f2a9c1e', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] }),
      policy('implicit-types', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
      policy('ingress-default', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 443 }] }] }),
      policy('other-pods', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{}] }),
      policy('relabelled-pod', { podSelector: { matchLabels: { quarantine: 'pending' } }, ingress: [{}] }),
      policy('deny-only', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    ];

    // Act
    const found = defeatingPolicies(policies, [{ app: 'web' }, { app: 'web', quarantine: 'pending' }], ['Egress'], 'ra-isolate-web-3f2a9c1e');
    const both = defeatingPolicies(policies, [{ app: 'web' }, { app: 'web', quarantine: 'pending' }], ['Ingress', 'Egress'], 'ra-isolate-web-3f2a9c1e');

    // Assess
    expect(found).toEqual([{ name: 'implicit-types', directions: ['Egress'], allowsAllIn: [] }]);
    expect(both).toEqual([
      { name: 'implicit-types', directions: ['Egress'], allowsAllIn: [] },
      { name: 'ingress-default', directions: ['Ingress'], allowsAllIn: [] },
      { name: 'relabelled-pod', directions: ['Ingress'], allowsAllIn: ['Ingress'] },
    ]);
    expect(policyDirections(policies[1] ?? {})).toEqual(['Ingress', 'Egress']);
    expect(policyDirections(policies[2] ?? {})).toEqual(['Ingress']);
  });
});

describe('deny-capable policies', () => {
  it('AdminNetworkPolicy: the exception as an Allow rule before Deny, and what ANP cannot express', () => {
    // Act
    const egress = denyPolicyPlan('AdminNetworkPolicy', 'ra-deny-shop-web-3f2a9c1e', { ...base, exception: exception(null, 'UDP', null) }, settings);
    const ingressRange = denyPolicyPlan('AdminNetworkPolicy', 'ra-deny-shop-web-3f2a9c1e', { ...base, directions: ['Ingress'], exception: exception('192.0.2.0/24', 'TCP', 22) }, settings);

    // Assess
    for (const plan of [egress, ingressRange]) {
      validateCustomObject(plan.body, 'policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', false, [
        ['spec', 'subject', 'pods', 'namespaceSelector'],
        ['spec', 'subject', 'pods', 'podSelector'],
      ]);
    }
    expect(egress.body['spec']).toMatchObject({
      priority: 10,
      ingress: [
        { name: 'response-actions-allow-exception', action: 'Allow', from: [{ namespaces: {} }], ports: [{ portRange: { protocol: 'UDP', start: 1, end: 65535 } }] },
        { name: 'response-actions-deny-ingress', action: 'Deny', from: [{ namespaces: {} }] },
      ],
      egress: [
        { name: 'response-actions-allow-exception', action: 'Allow', to: [{ namespaces: {} }, { networks: ['0.0.0.0/0', '::/0'] }], ports: [{ portRange: { protocol: 'UDP', start: 1, end: 65535 } }] },
        { name: 'response-actions-deny-egress', action: 'Deny', to: [{ namespaces: {} }, { networks: ['0.0.0.0/0', '::/0'] }] },
      ],
    });
    expect(ingressRange.body['spec']).toMatchObject({ ingress: [{ name: 'response-actions-deny-ingress', action: 'Deny', from: [{ namespaces: {} }] }] });
    expect(ingressRange.covers).toEqual(['Ingress']);
    expect(ingressRange.limitations).toEqual([
      'AdminNetworkPolicy ingress rules match only traffic from pods in the cluster: ingress from outside the cluster is still governed by NetworkPolicies alone',
      'AdminNetworkPolicy ingress peers cannot be address ranges: the exception 192.0.2.0/24 is let in only from outside the cluster; pods inside the cluster in that range are denied',
    ]);
  });

  it('Calico: ordered Allow then Deny, the exception exactly', () => {
    // Act
    const plan = denyPolicyPlan('CalicoNetworkPolicy', 'ra-deny-web-3f2a9c1e', { ...base, exception: exception('192.0.2.7/32', 'TCP', 22) }, settings);

    // Assess
    validateCustomObject(plan.body, 'projectcalico.org/v3', 'NetworkPolicy', true);
    expect(plan.body['spec']).toEqual({
      order: 0,
      selector: "app == 'web' && track in { 'stable' }",
      types: ['Ingress', 'Egress'],
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { nets: ['192.0.2.7/32'] }, destination: { ports: [22] } }, { action: 'Deny' }],
      egress: [{ action: 'Allow', protocol: 'TCP', destination: { nets: ['192.0.2.7/32'], ports: [22] } }, { action: 'Deny' }],
    });
    expect(plan.limitations).toEqual([]);
  });

  it('Cilium: deny rules carve the exception’s range out with except, and cover no direction they cannot', () => {
    // Act
    const range = denyPolicyPlan('CiliumNetworkPolicy', 'ra-deny-web-3f2a9c1e', { ...base, directions: ['Egress'], exception: exception('2001:db8::/32', 'TCP', 443) }, settings);
    const portOnly = denyPolicyPlan('CiliumNetworkPolicy', 'ra-deny-web-3f2a9c1e', { ...base, exception: exception(null, 'TCP', 22) }, settings);

    // Assess
    validateCustomObject(range.body, 'cilium.io/v2', 'CiliumNetworkPolicy', true, [['spec', 'endpointSelector']]);
    expect(range.body['spec']).toEqual({
      endpointSelector: base.selector,
      egressDeny: [{ toEntities: ['cluster'] }, { toCIDRSet: [{ cidr: '0.0.0.0/0' }, { cidr: '::/0', except: ['2001:db8::/32'] }] }],
    });
    expect(range.covers).toEqual(['Egress']);
    expect(range.limitations).toHaveLength(2);
    expect(portOnly.covers).toEqual([]);
    expect(portOnly.limitations).toHaveLength(2);
  });
});
