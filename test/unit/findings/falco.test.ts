import { describe, expect, it } from 'vitest';
import { normaliseEvent } from '#shared/findings/index.ts';
import { finding, fixture } from './fixtures.ts';

/* Falco alerts as Falco's JSON output writes them (test/fixtures/findings/SOURCES.md). */

const falco = { source: 'falco', productName: 'Falco' } as const;

function alert(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...(fixture('written/falco-terminal-shell-in-container.json') as Record<string, unknown>), ...overrides };
}

describe('Falco alerts', () => {
  it('a shell in a container: the container on its host with the PID; the pod names ride on its inputs (no cluster known)', () => {
    expect(normaliseEvent(fixture('written/falco-terminal-shell-in-container.json'))).toEqual({
      eventId: '5c7f7a6e-92c4-4c2e-8f3e-9a0b1c2d3e4f',
      source: 'falco',
      detailType: null,
      findings: [
        finding({
          ...falco,
          findingId: '5c7f7a6e-92c4-4c2e-8f3e-9a0b1c2d3e4f',
          findingType: 'Terminal shell in container',
          types: ['Terminal shell in container'],
          severity: 'LOW',
          sourceSeverity: 'Notice',
          updatedAt: '2026-11-20T10:17:02.123456789Z',
          resources: [
            {
              key: 'host/node-7/container/3ad7b26ded6d',
              kind: 'container',
              inputs: {
                'host.id': 'node-7',
                'container.id': '3ad7b26ded6d',
                'process.id': 4242,
                'kubernetes.namespace.name': 'shop',
                'kubernetes.pod.name': 'checkout-7d9c8b7f6-x2x4z',
              },
            },
          ],
        }),
      ],
    });
  });

  it('container.id "host": the host itself, no container.id; fd.name a file; no uuid, so the id is a digest of the alert', () => {
    expect(normaliseEvent(fixture('written/falco-host-sensitive-file.json'))).toEqual({
      eventId: 'falco-eef85729016abd74844d1b349593e19a5955c47dc014e09a655025438c9ab76e',
      source: 'falco',
      detailType: null,
      findings: [
        finding({
          ...falco,
          findingId: 'falco-eef85729016abd74844d1b349593e19a5955c47dc014e09a655025438c9ab76e',
          findingType: 'Read sensitive file untrusted',
          types: ['Read sensitive file untrusted'],
          severity: 'HIGH',
          sourceSeverity: 'Error',
          updatedAt: '2026-11-20T10:18:00.000000000Z',
          resources: [
            { key: 'host/build-host-3', kind: 'host', inputs: { 'host.id': 'build-host-3', 'process.id': 31337 } },
            { key: 'host/build-host-3/file//etc/shadow', kind: 'file', inputs: { 'host.id': 'build-host-3', 'path.absolute': '/etc/shadow' } },
          ],
        }),
      ],
    });
  });

  it('with k8s.cluster.name: the pod as a resource of its own; proc.pid as text is read as a number; fd.name <NA> is no file', () => {
    expect(normaliseEvent(fixture('written/falco-container-drift-with-cluster.json')).findings).toEqual([
      finding({
        ...falco,
        findingId: '6d8e8b7f-a3d5-4d3f-9a4f-0b1c2d3e4f5a',
        findingType: 'Drop and execute new binary in container',
        types: ['Drop and execute new binary in container'],
        severity: 'CRITICAL',
        sourceSeverity: 'Critical',
        updatedAt: '2026-11-20T10:19:00.000000000Z',
        resources: [
          {
            key: 'host/ip-10-0-12-34.eu-west-1.compute.internal/container/3ad7b26ded6d',
            kind: 'container',
            inputs: { 'host.id': 'ip-10-0-12-34.eu-west-1.compute.internal', 'container.id': '3ad7b26ded6d', 'process.id': 5151 },
          },
          {
            key: 'k8s/prod-eu/shop/pod/checkout-7d9c8b7f6-x2x4z',
            kind: 'k8s.pod',
            inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'shop', 'kubernetes.pod.name': 'checkout-7d9c8b7f6-x2x4z' },
          },
        ],
      }),
    ]);
  });

  it('the same alert posted twice has the same id (a digest when Falco gives no uuid)', () => {
    // Prepare
    const body = fixture('written/falco-host-sensitive-file.json');

    // Act
    const first = normaliseEvent(body);
    const again = normaliseEvent(structuredClone(body));

    // Assess
    expect(again.eventId).toBe(first.eventId);
    expect(normaliseEvent({ ...(body as object), time: '2026-11-20T10:18:01.000000000Z' }).eventId).not.toBe(first.eventId);
  });

  it.each([
    ['Emergency', 'CRITICAL'],
    ['ALERT', 'CRITICAL'],
    ['critical', 'CRITICAL'],
    ['Error', 'HIGH'],
    ['Warning', 'MEDIUM'],
    ['Notice', 'LOW'],
    ['Informational', 'LOW'],
    ['Info', 'LOW'],
    ['Debug', 'LOW'],
  ])('priority %s is %s', (priority, severity) => {
    expect(normaliseEvent(alert({ priority })).findings[0]?.severity).toBe(severity);
  });

  it('an alert from a plugin source (k8s_audit): its hostname is where Falco runs, so nothing is named', () => {
    // Act
    const [normalised] = normaliseEvent(alert({ source: 'k8s_audit' })).findings;

    // Assess
    expect(normalised?.resource).toBeNull();
    expect(normalised?.unmappedReason).toBe('a Falco "k8s_audit" alert: its hostname is where Falco runs, not what the alert is about');
  });

  it('no hostname: no host.id, so unmapped, saying so', () => {
    // Prepare
    const { hostname: _dropped, ...withoutHostname } = alert({});

    // Act
    const [normalised] = normaliseEvent(withoutHostname).findings;

    // Assess
    expect(normalised?.resources).toEqual([]);
    expect(normalised?.unmappedReason).toBe('the alert has no hostname, so no host.id: run a Falco that writes hostname into its JSON output');
  });

  it('a container id the catalogue would refuse: unmapped with the input and its rule, never a resource key built from it', () => {
    // Act
    const [normalised] = normaliseEvent(alert({ output_fields: { 'container.id': '../../etc', 'proc.pid': 1 } })).findings;

    // Assess
    expect(normalised?.resource).toBeNull();
    expect(normalised?.unmappedReason).toBe('container.id "../../etc" must be a container id: 1 to 128 characters of letters, digits, \'_\', \'.\' and \'-\'');
  });
});
