import { describe, expect, it } from 'vitest';
import { loadHostActionSettings, loadHostResponderConfig } from '../../../responders/host/config.ts';

const standalone = { RESPONDER_API_URL: 'https://ra.example.com', RESPONDER_TOKEN_FILE: '/etc/ra/token', RESPONDER_SIGNING_KEYS_FILE: '/etc/ra/keys.json' };
const runtimes = {
  RESPONDER_DOCKER_SOCKET: '/srv/docker/docker.sock',
  RESPONDER_CONTAINERD_SOCKET: '/srv/containerd/containerd.sock',
  RESPONDER_CONTAINERD_NAMESPACES: 'k8s.io, lab',
  RESPONDER_STOP_TIMEOUT_SECONDS: '3',
  RESPONDER_PROTECTED_PATHS: '/srv/keys',
};

describe('the host action settings an in-process responder (npm start) reads', () => {
  it('are the RESPONDER_* variables a standalone host responder reads, with the same values', () => {
    // Act
    const settings = loadHostActionSettings(runtimes);
    const { quarantineDir: _quarantineDir, protectedPaths, ...fromStandalone } = loadHostResponderConfig([], { ...standalone, ...runtimes }).actions;

    // Assess
    expect(settings).toEqual({
      dockerSocketPath: '/srv/docker/docker.sock',
      containerdSocketPath: '/srv/containerd/containerd.sock',
      containerdNamespaces: ['k8s.io', 'lab'],
      stopTimeoutSeconds: 3,
      protectedPaths: ['/srv/keys'],
    });
    expect({ ...fromStandalone, protectedPaths: protectedPaths?.filter((path) => path === '/srv/keys') }).toEqual(settings);
  });

  it('refuses a relative socket path, naming the variable', () => {
    // Act
    const attempt = () => loadHostActionSettings({ RESPONDER_CONTAINERD_SOCKET: 'containerd.sock' });

    // Assess
    expect(attempt).toThrow(/RESPONDER_CONTAINERD_SOCKET.*must be an absolute path/);
  });

  it('leaves every setting to its default when no variable is set', () => {
    // Act
    const settings = loadHostActionSettings({});

    // Assess
    expect(settings).toEqual({ protectedPaths: [] });
  });
});
