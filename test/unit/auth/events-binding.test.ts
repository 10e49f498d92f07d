import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '#shared/auth/errors.ts';
import { callerFromClaims, formatEventsClaim, mayPostFinding, parseEventsClaim } from '#shared/auth/scopes.ts';

const events = 'response-actions.events';

describe('events tokens (ra_events)', () => {
  it('let an unbound events token post any source, and nothing without the events scope', () => {
    // Arrange
    const unbound = callerFromClaims({ sub: 'soc', scope: events });
    const reader = callerFromClaims({ sub: 'analyst', scope: 'containment-response-actions.exec' });

    // Assess
    expect(mayPostFinding(unbound, 'guardduty', null)).toBe(true);
    expect(mayPostFinding(unbound, 'falco', 'any-host')).toBe(true);
    expect(mayPostFinding(reader, 'guardduty', null)).toBe(false);
  });

  it('bind a falcosidekick token to its own host: alerts about another host are refused', () => {
    // Arrange
    const sidekick = callerFromClaims({ sub: 'falcosidekick-node-7', scope: events, ra_events: 'falco/node-7' });

    // Assess
    expect(mayPostFinding(sidekick, 'falco', 'node-7')).toBe(true);
    expect(mayPostFinding(sidekick, 'falco', 'node-8')).toBe(false);
    expect(mayPostFinding(sidekick, 'falco', null)).toBe(false);
    expect(mayPostFinding(sidekick, 'guardduty', null)).toBe(false);
  });

  it('bind a token to whole sources', () => {
    // Arrange
    const aws = callerFromClaims({ sub: 'forwarder', scope: events, ra_events: 'guardduty securityhub' });

    // Assess
    expect(mayPostFinding(aws, 'securityhub', null)).toBe(true);
    expect(mayPostFinding(aws, 'falco', 'node-7')).toBe(false);
  });

  it('refuse (401) a claim that does not parse instead of reading it as "any source"', () => {
    // Assess
    for (const claim of ['', 'cloudtrail', 'falco/', 'falco/a b/c', 'falco/node 7\n', 42]) {
      expect(() => callerFromClaims({ sub: 'x', scope: events, ra_events: claim })).toThrow(UnauthorizedError);
    }
  });

  it('format and parse the claim symmetrically', () => {
    // Arrange
    const grants = [{ source: 'falco' as const, hostname: 'ip-10-0-0-7.ec2.internal' }, { source: 'securityhub' as const }];

    // Assess
    expect(parseEventsClaim(formatEventsClaim(grants))).toEqual(grants);
  });
});
