import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { loadHostResponderConfig } from '../../../responders/host/config.ts';
import { ConfigError } from '#shared/errors.ts';

const required = { RESPONDER_API_URL: 'https://ra.example.com', RESPONDER_TOKEN_FILE: '/etc/response-actions/token' };

describe('the host responder configuration', () => {
  it('defaults the host id to the hostname and the quarantine to the state directory', () => {
    // Act
    const config = loadHostResponderConfig([], required);

    // Assess
    expect(config).toEqual({
      apiUrl: 'https://ra.example.com',
      tokenFile: '/etc/response-actions/token',
      hostId: hostname(),
      stateDir: '/var/lib/response-actions-host-responder',
      signingKeysFile: null,
      trustOnFirstUse: false,
      actions: { quarantineDir: '/var/lib/response-actions-host-responder/quarantine' },
    });
  });

  it('lets flags win over the environment and reads every setting', () => {
    // Act
    const config = loadHostResponderConfig(
      ['--host-id', 'node-7', '--state-dir', '/srv/ra', '--max-acquire-bytes', '1048576', '--trust-on-first-use', '--containerd-namespaces', 'k8s.io, moby'],
      {
        ...required,
        RESPONDER_HOST_ID: 'ignored',
        RESPONDER_SIGNING_KEYS_FILE: '/etc/response-actions/keys.json',
        RESPONDER_PROTECTED_PIDS: '812, 913',
        RESPONDER_DOCKER_SOCKET: '/run/docker.sock',
        RESPONDER_STOP_TIMEOUT_SECONDS: '30',
      },
    );

    // Assess
    expect(config).toMatchObject({
      hostId: 'node-7',
      stateDir: '/srv/ra',
      signingKeysFile: '/etc/response-actions/keys.json',
      trustOnFirstUse: true,
      actions: {
        quarantineDir: '/srv/ra/quarantine',
        maxAcquireBytes: 1048576,
        containerdNamespaces: ['k8s.io', 'moby'],
        protectedPids: [812, 913],
        dockerSocketPath: '/run/docker.sock',
        stopTimeoutSeconds: 30,
      },
    });
  });

  it.each([
    [{}, '--api-url / RESPONDER_API_URL: is required but not set'],
    [{ RESPONDER_API_URL: 'ftp://x' }, '--api-url / RESPONDER_API_URL: must be the service\'s http(s) URL, not "ftp://x"'],
    [{ RESPONDER_API_URL: 'https://x' }, '--token-file / RESPONDER_TOKEN_FILE: is required but not set'],
    [{ ...required, RESPONDER_TOKEN_FILE: 'token' }, '--token-file / RESPONDER_TOKEN_FILE: must be an absolute path, not "token"'],
    [{ ...required, RESPONDER_MAX_ACQUIRE_BYTES: '10MB' }, '--max-acquire-bytes / RESPONDER_MAX_ACQUIRE_BYTES: must be a whole number above 0, not "10MB"'],
    [{ ...required, RESPONDER_HOST_ID: 'bad host' }, "--host-id / RESPONDER_HOST_ID: must be 1 to 253 letters, digits, '.', '_', ':' or '-' (the host.id actions name), not \"bad host\""],
  ])('fails naming the flag and the variable: %j', (env, message) => {
    // Act, Assess
    expect(() => loadHostResponderConfig([], env)).toThrow(new ConfigError(message.split(': ')[0] ?? '', message.split(': ').slice(1).join(': ')));
  });

  it('refuses unknown flags', () => {
    // Act, Assess
    expect(() => loadHostResponderConfig(['--quarantine', '/x'], required)).toThrow(ConfigError);
  });
});
