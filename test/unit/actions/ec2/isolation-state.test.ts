import { describe, expect, it } from 'vitest';
import { isIsolated, isolationDrift, lastGroupsOf, sameGroups, type Change, type InstanceState } from '#shared/actions/ec2/isolation-state.ts';

/** The instance before isolation: two interfaces on their own groups, one volume deleted on termination. */
const before: InstanceState = {
  instance: { id: 'i-0123456789abcdef0', state: 'running' },
  disableApiTermination: false,
  shutdownBehavior: 'terminate',
  volumes: [{ deviceName: '/dev/xvda', volumeId: 'vol-1', deleteOnTermination: true }],
  networkInterfaces: [
    { networkInterfaceId: 'eni-a', deviceIndex: 0, vpcId: 'vpc-1', groupIds: ['sg-web'] },
    { networkInterfaceId: 'eni-b', deviceIndex: 1, vpcId: 'vpc-1', groupIds: ['sg-db', 'sg-admin'] },
  ],
  isolationGroups: [],
};

/** What isolation recorded: evidence settings, then each interface via the allow-all group onto the isolation group. */
const isolation: Change[] = [
  { action: 'SetDisableApiTermination', before: false, after: true },
  { action: 'SetShutdownBehavior', before: 'terminate', after: 'stop' },
  { action: 'SetDeleteOnTermination', deviceName: '/dev/xvda', volumeId: 'vol-1', before: true, after: false },
  { action: 'CreateSecurityGroup', groupId: 'sg-iso', vpcId: 'vpc-1', purpose: 'isolation' },
  { action: 'SetInterfaceGroups', networkInterfaceId: 'eni-a', before: ['sg-web'], after: ['sg-all'] },
  { action: 'SetInterfaceGroups', networkInterfaceId: 'eni-a', before: ['sg-all'], after: ['sg-iso'] },
  { action: 'SetInterfaceGroups', networkInterfaceId: 'eni-b', before: ['sg-db', 'sg-admin'], after: ['sg-all'] },
  { action: 'SetInterfaceGroups', networkInterfaceId: 'eni-b', before: ['sg-all'], after: ['sg-iso'] },
];

/** The instance exactly as isolation left it. */
const isolated: InstanceState = {
  ...before,
  disableApiTermination: true,
  shutdownBehavior: 'stop',
  volumes: [{ deviceName: '/dev/xvda', volumeId: 'vol-1', deleteOnTermination: false }],
  networkInterfaces: before.networkInterfaces.map((nic) => ({ ...nic, groupIds: ['sg-iso'] })),
  isolationGroups: [{ vpcId: 'vpc-1', groupId: 'sg-iso' }],
};

describe('isolationDrift', () => {
  it('reports nothing when the instance is as isolation left it', () => {
    // Act
    const drift = isolationDrift(before, isolation, isolated);

    // Assess
    expect(drift).toEqual({ interfacesAddedSince: [], interfacesRemovedSince: [], groupsChangedSince: [], settingsChangedSince: [] });
  });

  it('reports an interface attached and one detached since, and groups someone changed', () => {
    // Prepare
    const now: InstanceState = {
      ...isolated,
      networkInterfaces: [
        { networkInterfaceId: 'eni-a', deviceIndex: 0, vpcId: 'vpc-1', groupIds: ['sg-iso', 'sg-web'] },
        { networkInterfaceId: 'eni-c', deviceIndex: 2, vpcId: 'vpc-1', groupIds: ['sg-new'] },
      ],
    };

    // Act
    const drift = isolationDrift(before, isolation, now);

    // Assess
    expect(drift).toEqual({
      interfacesAddedSince: [{ networkInterfaceId: 'eni-c', groupIds: ['sg-new'] }],
      interfacesRemovedSince: ['eni-b'],
      groupsChangedSince: [{ networkInterfaceId: 'eni-a', leftByIsolation: ['sg-iso'], now: ['sg-iso', 'sg-web'] }],
      settingsChangedSince: [],
    });
  });

  it('reports evidence settings changed since, and a volume detached since', () => {
    // Prepare
    const now: InstanceState = { ...isolated, disableApiTermination: false, shutdownBehavior: 'terminate', volumes: [] };

    // Act
    const drift = isolationDrift(before, isolation, now);

    // Assess
    expect(drift['settingsChangedSince']).toEqual([
      { setting: 'disableApiTermination', leftByIsolation: true, now: false },
      { setting: 'instanceInitiatedShutdownBehavior', leftByIsolation: 'stop', now: 'terminate' },
      { setting: 'deleteOnTermination', volumeId: 'vol-1', leftByIsolation: false, now: 'detached' },
    ]);
  });
});

describe('the isolation state rules', () => {
  it('takes the groups the last change left on an interface, and none for an interface no change touched', () => {
    expect(lastGroupsOf(isolation, 'eni-b')).toEqual(['sg-iso']);
    expect(lastGroupsOf(isolation, 'eni-z')).toBeUndefined();
  });

  it('compares groups as sets', () => {
    expect(sameGroups(['sg-db', 'sg-admin'], ['sg-admin', 'sg-db'])).toBe(true);
    expect(sameGroups(['sg-db'], ['sg-db', 'sg-admin'])).toBe(false);
  });

  it('calls an interface isolated only when its one group is one of the isolation groups', () => {
    const groups = [{ vpcId: 'vpc-1', groupId: 'sg-iso' }];
    expect(isIsolated({ networkInterfaceId: 'eni-a', deviceIndex: 0, vpcId: 'vpc-1', groupIds: ['sg-iso'] }, groups)).toBe(true);
    expect(isIsolated({ networkInterfaceId: 'eni-a', deviceIndex: 0, vpcId: 'vpc-1', groupIds: ['sg-iso', 'sg-web'] }, groups)).toBe(false);
    expect(isIsolated({ networkInterfaceId: 'eni-a', deviceIndex: 0, vpcId: 'vpc-1', groupIds: ['sg-web'] }, groups)).toBe(false);
  });
});
