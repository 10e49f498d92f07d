/**
 * The cluster responder as a pod: `node responders/kubernetes/main.ts`, configured by the
 * RESPONDER_* variables (config.ts, README.md). It talks to its own cluster's API server with the
 * in-cluster ServiceAccount config, registers as `kubernetes/<cluster>`, pulls its own work and
 * runs the cluster actions until SIGTERM or SIGINT.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { packageVersion, readSigningKeys, readToken, runDaemon } from '../common/daemon.ts';
import { runResponder } from '../common/runner.ts';
import { kubernetesActions } from './actions.ts';
import { loadKubernetesResponderConfig } from './config.ts';

process.exitCode = await runDaemon('cluster responder', async (logger, signal) => {
  const config = loadKubernetesResponderConfig(process.env);
  // Read once now so a missing token or key file fails at start-up, not at the first call.
  await readToken(config.tokenFile, 'RESPONDER_TOKEN_FILE');
  const signingKeys = await readSigningKeys(config.signingKeysFile, 'RESPONDER_SIGNING_KEYS_FILE');
  const kubeConfig = new KubeConfig();
  // The pod's ServiceAccount token and CA, and KUBERNETES_SERVICE_HOST/PORT.
  kubeConfig.loadFromCluster();
  logger.info('cluster responder starting', {
    cluster: config.clusterName,
    apiUrl: config.apiUrl,
    pod: `${config.self.namespace}/${config.self.podName}`,
    protectedNamespaces: config.protectedNamespaces,
  });
  await runResponder({
    apiUrl: config.apiUrl,
    token: () => readToken(config.tokenFile, 'RESPONDER_TOKEN_FILE'),
    kind: 'kubernetes',
    name: config.clusterName,
    version: await packageVersion(),
    actions: kubernetesActions({
      cluster: kubeConfig,
      self: config.self,
      clusterName: config.clusterName,
      protectedNamespaces: config.protectedNamespaces,
      settings: config.settings,
    }),
    signingKeys,
    stateDir: config.stateDir,
    logger,
    signal,
  });
});
