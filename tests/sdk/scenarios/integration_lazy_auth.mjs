// sharetribe-flex-integration-sdk: no token until the first API call, which authenticates with
// client credentials (the secret) on its own.
import integrationSdk from 'sharetribe-flex-integration-sdk';
import { apiResult, recording, run, settle, summary } from '../harness.mjs';

run(async cfg => {
  const store = recording(integrationSdk.tokenStore.memoryStore());
  const sdk = integrationSdk.createInstance({
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    baseUrl: cfg.baseUrl,
    tokenStore: store,
  });
  const before = await sdk.authInfo();
  const first = await settle(sdk.marketplace.show());
  const second = await settle(sdk.marketplace.show());
  return {
    before,
    first: apiResult(first),
    second: apiResult(second),
    after: await sdk.authInfo(),
    stored: summary(store.getToken()),
    saved: store.saved,
  };
});
