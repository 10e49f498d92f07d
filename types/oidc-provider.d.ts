// The part of oidc-provider (v9, untyped) that the console's OIDC test uses to run a real provider.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { JWK } from 'jose';

  interface ClientMetadata {
    client_id: string;
    token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post';
    redirect_uris: string[];
    post_logout_redirect_uris?: string[];
    grant_types?: string[];
    response_types?: string[];
  }

  interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'jwt' | 'opaque';
    jwt?: { sign?: { alg: string } };
  }

  interface Configuration {
    clients?: ClientMetadata[];
    jwks?: { keys: JWK[] };
    cookies?: { keys?: string[] };
    findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined> | Account | undefined;
    pkce?: { required?: (ctx: unknown, client: unknown) => boolean };
    features?: {
      devInteractions?: { enabled: boolean };
      rpInitiatedLogout?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: unknown, client: unknown, oneOf?: string[]) => Promise<string | string[] | undefined> | string | string[] | undefined;
        useGrantedResource?: (ctx: unknown, model: unknown) => Promise<boolean> | boolean;
        getResourceServerInfo?: (ctx: unknown, resourceIndicator: string, client: unknown) => Promise<ResourceServer> | ResourceServer;
      };
    };
  }

  class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: { InvalidTarget: new (description?: string) => Error };
  export default Provider;
}
