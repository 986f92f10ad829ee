// sharetribe-flex-integration-sdk: after the access token expires, parallel calls refresh (without
// the secret, as the SDK does) and all succeed.
import integrationSdk from 'sharetribe-flex-integration-sdk';
import { apiResult, recording, run, settle, summary, times, waitUntilExpired } from '../harness.mjs';

run(async cfg => {
  const store = recording(integrationSdk.tokenStore.memoryStore());
  const sdk = integrationSdk.createInstance({
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    baseUrl: cfg.baseUrl,
    tokenStore: store,
  });
  const first = await settle(sdk.marketplace.show());
  const authenticated = store.getToken();
  await waitUntilExpired(authenticated.access_token);
  const calls = await times(cfg.parallel, () => settle(sdk.marketplace.show()));
  const final = store.getToken();
  return {
    first: apiResult(first),
    calls: calls.map(apiResult),
    authenticated: summary(authenticated),
    refreshed: store.saved.slice(1),
    final: summary(final),
    final_refresh_token: final.refresh_token,
  };
});
