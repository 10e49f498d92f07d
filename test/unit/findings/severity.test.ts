import { describe, expect, it } from 'vitest';
import { asffLabelSeverity, asffNormalizedSeverity, guardDutySeverity, ocsfSeverity } from '#shared/findings/index.ts';

/* Each source's scale at its boundaries (the mapping and its sources: shared/findings/severity.ts). */
describe('severity mappings', () => {
  it.each([
    [0.1, 'LOW'],
    [3.9, 'LOW'],
    [4, 'MEDIUM'],
    [6.9, 'MEDIUM'],
    [7, 'HIGH'],
    [8.9, 'HIGH'],
    [9, 'CRITICAL'],
    [10, 'CRITICAL'],
  ])('GuardDuty %d is %s', (value, severity) => {
    expect(guardDutySeverity(value)).toBe(severity);
  });

  it.each([
    [0, 'LOW'],
    [39, 'LOW'],
    [40, 'MEDIUM'],
    [69, 'MEDIUM'],
    [70, 'HIGH'],
    [89, 'HIGH'],
    [90, 'CRITICAL'],
    [100, 'CRITICAL'],
  ])('ASFF Normalized %d is %s', (value, severity) => {
    expect(asffNormalizedSeverity(value)).toBe(severity);
  });

  it.each([
    ['INFORMATIONAL', 'LOW'],
    ['LOW', 'LOW'],
    ['MEDIUM', 'MEDIUM'],
    ['HIGH', 'HIGH'],
    ['CRITICAL', 'CRITICAL'],
  ] as const)('ASFF Label %s is %s', (label, severity) => {
    expect(asffLabelSeverity(label)).toBe(severity);
  });

  it.each([
    [0, undefined, 'LOW'],
    [1, undefined, 'LOW'],
    [2, undefined, 'LOW'],
    [3, undefined, 'MEDIUM'],
    [4, undefined, 'HIGH'],
    [5, undefined, 'CRITICAL'],
    [6, undefined, 'CRITICAL'],
    [99, 'High', 'HIGH'],
    [99, 'Fatal', 'CRITICAL'],
    [99, 'Whatever', 'LOW'],
    [99, undefined, 'LOW'],
    [42, 'Critical', 'LOW'],
  ] as const)('OCSF severity_id %d (%s) is %s', (id, caption, severity) => {
    expect(ocsfSeverity(id, caption)).toBe(severity);
  });
});
