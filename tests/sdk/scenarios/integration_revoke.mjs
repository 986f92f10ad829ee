// sharetribe-flex-integration-sdk revoke: ends the session and clears the stored token; the next
// call authenticates again.
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
  const first = await settle(sdk.marketplace.show());
  const revoked = store.getToken();
  const revoke = await settle(sdk.revoke());
  const info = await sdk.authInfo();
  const stored = summary(store.getToken());
  const again = await settle(sdk.marketplace.show());
  return {
    first: apiResult(first),
    revoke: { status: revoke.status, data: revoke.data },
    info,
    stored,
    again: apiResult(again),
    revoked: summary(revoked),
    renewed: summary(store.getToken()),
    revoked_refresh_token: revoked.refresh_token,
  };
});
