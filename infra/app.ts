import { buildApp } from './build-app.ts';

// Entry point for the CDK CLI (`cdk.json`: `node infra/app.ts`); tests call buildApp directly.
buildApp().app.synth();
