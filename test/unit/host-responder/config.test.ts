import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { loadHostResponderConfig } from '../../../responders/host/config.ts';
import { ConfigError } from '#shared/errors.ts';

const required = {
  RESPONDER_API_URL: 'https://ra.example.com',
  RESPONDER_TOKEN_FILE: '/etc/response-actions/token',
  RESPONDER_SIGNING_KEYS_FILE: '/etc/response-actions/keys.json',
};

describe('the host responder configuration', () => {
  it('defaults the host id to the hostname and the quarantine to the state directory, and protects its own files', () => {
    // Act
    const config = loadHostResponderConfig([], required);

    // Assess
    expect(config).toEqual({
      apiUrl: 'https://ra.example.com',
      tokenFile: '/etc/response-actions/token',
      hostId: hostname(),
      stateDir: '/var/lib/response-actions-host-responder',
      signingKeysFile: '/etc/response-actions/keys.json',
      protectedPaths: [],
      actions: {
        quarantineDir: '/var/lib/response-actions-host-responder/quarantine',
        protectedPaths: ['/etc/response-actions/token', '/etc/response-actions/keys.json', '/var/lib/response-actions-host-responder'],
      },
    });
  });

  it('lets flags win over the environment and reads every setting', () => {
    // Act
    const config = loadHostResponderConfig(
      ['--host-id', 'node-7', '--state-dir', '/srv/ra', '--max-acquire-bytes', '1048576', '--protected-paths', '/srv/edr:/opt/vault,/root/.aws', '--containerd-namespaces', 'k8s.io, moby'],
      {
        ...required,
        RESPONDER_HOST_ID: 'ignored',
        RESPONDER_PROTECTED_PATHS: '/ignored',
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
      protectedPaths: ['/srv/edr', '/opt/vault', '/root/.aws'],
      actions: {
        quarantineDir: '/srv/ra/quarantine',
        protectedPaths: ['/etc/response-actions/token', '/etc/response-actions/keys.json', '/srv/ra', '/srv/edr', '/opt/vault', '/root/.aws'],
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
    [{ RESPONDER_API_URL: 'ftp://x' }, '--api-url / RESPONDER_API_URL: must be the service\'s https URL, not "ftp://x"'],
    [
      { ...required, RESPONDER_API_URL: 'http://ra.example.com' },
      '--api-url / RESPONDER_API_URL: must be https: plain http would expose the responder\'s token and its work to the network; it is allowed only on loopback (127.0.0.0/8, ::1, localhost), not "http://ra.example.com"',
    ],
    [{ RESPONDER_API_URL: 'https://x' }, '--token-file / RESPONDER_TOKEN_FILE: is required but not set'],
    [
      { ...required, RESPONDER_SIGNING_KEYS_FILE: undefined },
      "--signing-keys-file / RESPONDER_SIGNING_KEYS_FILE: is required but not set: the service's work-signing public keys are pinned from configuration only",
    ],
    [{ ...required, RESPONDER_PROTECTED_PATHS: '/srv/edr,etc/shadow' }, '--protected-paths / RESPONDER_PROTECTED_PATHS: must be an absolute path, not "etc/shadow"'],
    [{ ...required, RESPONDER_TOKEN_FILE: 'token' }, '--token-file / RESPONDER_TOKEN_FILE: must be an absolute path, not "token"'],
    [{ ...required, RESPONDER_MAX_ACQUIRE_BYTES: '10MB' }, '--max-acquire-bytes / RESPONDER_MAX_ACQUIRE_BYTES: must be a whole number above 0, not "10MB"'],
    [{ ...required, RESPONDER_HOST_ID: 'bad host' }, "--host-id / RESPONDER_HOST_ID: must be 1 to 253 letters, digits, '.', '_', ':' or '-' (the host.id actions name), not \"bad host\""],
  ])('fails naming the flag and the variable: %j', (env, message) => {
    // Act, Assess
    expect(() => loadHostResponderConfig([], env)).toThrow(new ConfigError(message.split(': ')[0] ?? '', message.split(': ').slice(1).join(': ')));
  });

  it('refuses unknown flags, --trust-on-first-use among them (keys are pinned from configuration only)', () => {
    // Act, Assess
    expect(() => loadHostResponderConfig(['--quarantine', '/x'], required)).toThrow(ConfigError);
    expect(() => loadHostResponderConfig(['--trust-on-first-use'], required)).toThrow(ConfigError);
  });

  it('accepts plain http on loopback only', () => {
    // Act
    const urls = ['http://127.0.0.1:8787', 'http://127.3.4.5', 'http://[::1]:8787', 'http://localhost:8787'].map(
      (url) => loadHostResponderConfig([], { ...required, RESPONDER_API_URL: url }).apiUrl,
    );
    const refused = ['http://10.0.0.1', 'http://127.0.0.1.nip.io', 'http://[::ffff:127.0.0.1]', 'http://localhost.example.com'].map((url) => {
      try {
        return loadHostResponderConfig([], { ...required, RESPONDER_API_URL: url });
      } catch (error) {
        return error;
      }
    });

    // Assess
    expect(urls).toEqual(['http://127.0.0.1:8787', 'http://127.3.4.5', 'http://[::1]:8787', 'http://localhost:8787']);
    for (const refusal of refused) expect(refusal).toMatchObject({ name: 'ConfigError', variable: '--api-url / RESPONDER_API_URL' });
  });
});
