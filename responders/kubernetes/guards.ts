/**
 * Protected targets in a cluster, refused before any call to the API server: the responder's
 * own pod and namespace always (containing the responder would end the response), and
 * kube-system unless the operator allows it (its pods are the cluster: DNS, CNI, kube-proxy;
 * deleting or isolating them is a cluster outage, not a containment).
 */
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { errorCodes } from './errors.ts';

/** Where the responder itself runs (the downward API's metadata.name and metadata.namespace). */
export interface ResponderSelf {
  readonly podName: string;
  readonly namespace: string;
}

export interface TargetGuardOptions {
  readonly self: ResponderSelf;
  /** Namespaces no action may touch besides the responder's own. Default: `['kube-system']`. */
  readonly protectedNamespaces?: readonly string[];
  /** The cluster this responder serves; work naming another cluster is refused. */
  readonly clusterName?: string;
}

export const defaultProtectedNamespaces: readonly string[] = ['kube-system'];

export class TargetGuard {
  readonly #self: ResponderSelf;
  readonly #protected: ReadonlySet<string>;
  readonly #clusterName: string | undefined;

  constructor(options: TargetGuardOptions) {
    this.#self = options.self;
    this.#protected = new Set(options.protectedNamespaces ?? defaultProtectedNamespaces);
    this.#clusterName = options.clusterName;
  }

  get protectedNamespaces(): readonly string[] {
    return [this.#self.namespace, ...[...this.#protected].filter((namespace) => namespace !== this.#self.namespace)];
  }

  /** Refuses work for another cluster (the runner checks the work's target too; this is the last line). */
  checkCluster(clusterName: string): void {
    if (this.#clusterName !== undefined && clusterName !== this.#clusterName) {
      throw new ResponderActionError(
        errorCodes.wrongTarget,
        `this responder serves cluster ${this.#clusterName}, not ${clusterName}; the work was routed to the wrong responder`,
      );
    }
  }

  /** Refuses the responder's own namespace (and pod), and the configured protected namespaces. */
  checkNamespace(namespace: string, podName?: string): void {
    const self = this.#self;
    if (namespace === self.namespace) {
      const pod = podName === self.podName ? `pod ${podName} is the responder itself, and ` : '';
      throw new ResponderActionError(
        errorCodes.protectedTarget,
        `${pod}namespace ${namespace} is the responder's own namespace (its pod ${self.podName} runs there): the cluster responder never acts on itself`,
      );
    }
    if (this.#protected.has(namespace)) {
      throw new ResponderActionError(
        errorCodes.protectedTarget,
        `namespace ${namespace} is protected: the cluster responder is configured not to act on it (PROTECTED_NAMESPACES, ALLOW_KUBE_SYSTEM)`,
      );
    }
  }
}
