import { describe, expect, it } from 'vitest';
import { canonicalCidr } from '../../../responders/kubernetes/cidr.ts';
import { actionIdLabelValue, isLabelValue, isManagedBy, objectName, ownershipLabels, shortActionId } from '../../../responders/kubernetes/naming.ts';
import { calicoSelector, checkWorkloadSelector, selectorMatches, selectorQuery } from '../../../responders/kubernetes/selectors.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';

const actionId = '3f2a9c1e-5b7d-4e21-9a0f-2c6b8d4e1a77';

describe('object names and labels', () => {
  it('names objects deterministically from the action, within 253 characters, never cutting the action suffix', () => {
    // Prepare
    const longName = `${'a'.repeat(120)}.${'b'.repeat(125)}`;

    // Act
    const short = objectName('ra-isolate', ['web'], actionId);
    const long = objectName('ra-deny', ['shop', longName], actionId);

    // Assess
    expect(short).toBe('ra-isolate-web-3f2a9c1e');
    expect(objectName('ra-isolate', ['web'], actionId)).toBe(short);
    expect(long).toHaveLength(253);
    expect(long.endsWith('-3f2a9c1e')).toBe(true);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });

  it('uses a hash prefix for action ids that are not UUIDs', () => {
    // Act
    const id = shortActionId('not a uuid');

    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(actionIdLabelValue('not a uuid')).toMatch(/^[0-9a-f]{63}$/);
    expect(actionIdLabelValue(actionId)).toBe(actionId);
  });

  it('recognizes its own labels, and the action that made an object', () => {
    // Prepare
    const labels = ownershipLabels(actionId, 'isolate-network');

    // Assess
    expect(labels).toEqual({
      'app.kubernetes.io/managed-by': 'response-actions',
      'response-actions.io/action-id': actionId,
      'response-actions.io/action-type': 'isolate-network',
    });
    expect(Object.values(labels).every(isLabelValue)).toBe(true);
    expect(isManagedBy(labels)).toBe(true);
    expect(isManagedBy(labels, actionId)).toBe(true);
    expect(isManagedBy(labels, '00000000-5b7d-4e21-9a0f-2c6b8d4e1a77')).toBe(false);
    expect(isManagedBy({ 'app.kubernetes.io/managed-by': 'helm' })).toBe(false);
    expect(isManagedBy(undefined)).toBe(false);
  });
});

describe('label selectors', () => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'track', operator: 'In', values: ['stable', 'canary'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'app.kubernetes.io/version', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  };

  it('writes the list query and Calico’s selector language', () => {
    // Assess
    expect(selectorQuery(selector)).toBe('app=web,track in (stable,canary),env notin (dev),app.kubernetes.io/version,!legacy');
    expect(calicoSelector(selector)).toBe(
      "app == 'web' && track in { 'stable', 'canary' } && env not in { 'dev' } && has(app.kubernetes.io/version) && !has(legacy)",
    );
  });

  it('evaluates selectors as Kubernetes does', () => {
    // Prepare
    const labels = { app: 'web', track: 'canary', 'app.kubernetes.io/version': '1.4.2' };

    // Assess
    expect(selectorMatches(selector, labels)).toBe(true);
    expect(selectorMatches(selector, { ...labels, env: 'dev' })).toBe(false);
    expect(selectorMatches(selector, { ...labels, legacy: 'yes' })).toBe(false);
    expect(selectorMatches(selector, { ...labels, track: 'beta' })).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, labels)).toBe(false);
  });

  it('refuses selectors that cannot name exactly a workload’s pods', () => {
    // Assess
    const refusal = (value: Parameters<typeof checkWorkloadSelector>[0]) => {
      try {
        checkWorkloadSelector(value, 'deployment web');
        return null;
      } catch (error) {
        return error instanceof ResponderActionError ? error.code : 'other';
      }
    };
    expect(refusal(undefined)).toBe('UnsupportedSelector');
    expect(refusal({})).toBe('UnsupportedSelector');
    expect(refusal({ matchLabels: {}, matchExpressions: [] })).toBe('UnsupportedSelector');
    expect(refusal({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] })).toBe('UnsupportedSelector');
    expect(refusal({ matchLabels: { app: "web' || 'x" } })).toBe('UnsupportedSelector');
    expect(refusal({ matchExpressions: [{ key: 'app', operator: 'Exists' }] })).toBeNull();
  });
});

describe('canonical CIDRs', () => {
  it.each([
    ['10.20.30.40/16', '10.20.0.0/16', 4],
    ['192.0.2.10/32', '192.0.2.10/32', 4],
    ['0.0.0.0/0', '0.0.0.0/0', 4],
    ['2001:DB8::1/32', '2001:db8::/32', 6],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128', 6],
    ['fe80::1/10', 'fe80::/10', 6],
    ['::ffff:10.1.2.3/120', '::ffff:a01:200/120', 6],
  ])('%s → %s', (input, canonical, family) => {
    // Act
    const cidr = canonicalCidr(input);

    // Assess
    expect(cidr).toEqual({ text: canonical, family });
  });

  it('throws on what the catalogue would have refused', () => {
    // Assess
    expect(() => canonicalCidr('10.0.0.0/33')).toThrow(TypeError);
    expect(() => canonicalCidr('example.com/8')).toThrow(TypeError);
  });
});
