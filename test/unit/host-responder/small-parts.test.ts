import { describe, expect, it } from 'vitest';
import { compareApiVersions } from '../../../responders/host/containers/docker.ts';
import { fileEvidenceName, logsEvidenceName } from '../../../responders/host/evidence-names.ts';
import { processProtection, refuseProtectedPid } from '../../../responders/host/process-guards.ts';

describe('Docker API versions', () => {
  it('compares major.minor numerically', () => {
    // Act, Assess
    expect(compareApiVersions('1.47', '1.9')).toBeGreaterThan(0);
    expect(compareApiVersions('1.24', '1.24')).toBe(0);
    expect(compareApiVersions('1.45', '2.0')).toBeLessThan(0);
  });
});

describe('evidence names', () => {
  it('fit the evidence-upload route', () => {
    // Prepare
    const allowed = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

    // Act
    const names = [fileEvidenceName('/tmp/dropper (1).sh'), fileEvidenceName(`/x/${'é'.repeat(300)}`), logsEvidenceName('docker', 'a'.repeat(64))];

    // Assess
    expect(names[0]).toBe('file-dropper__1_.sh');
    for (const name of names) expect(name).toMatch(allowed);
  });
});

describe('protected processes', () => {
  it('protects pid 1, the responder, its parent and configured pids, saying why', () => {
    // Prepare
    const protection = processProtection({ ownPid: 500, parentPid: 499, extraPids: [77] });

    // Act, Assess
    expect(() => { refuseProtectedPid(protection, 1); }).toThrow('refusing to kill process 1: it is pid 1, the init process');
    expect(() => { refuseProtectedPid(protection, 500); }).toThrow('it is the host responder itself');
    expect(() => { refuseProtectedPid(protection, 499); }).toThrow("it is the host responder's parent process");
    expect(() => { refuseProtectedPid(protection, 77); }).toThrow("on the responder's list of protected processes");
    expect(() => { refuseProtectedPid(protection, 78); }).not.toThrow();
  });

  it('does not list a parent that is pid 1 as the parent', () => {
    // Act, Assess
    expect(processProtection({ ownPid: 500, parentPid: 1 }).pids.get(1)).toContain('init process');
  });
});
