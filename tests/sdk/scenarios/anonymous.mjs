// sharetribe-flex-sdk with no login: API calls fetch an anonymous public-read token on their own.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { apiResult, recording, run, settle, summary, times } from '../harness.mjs';

run(async cfg => {
  const store = recording(sharetribeSdk.tokenStore.memoryStore());
  const sdk = sharetribeSdk.createInstance({ clientId: cfg.clientId, baseUrl: cfg.baseUrl, tokenStore: store });
  const before = await sdk.authInfo();
  const calls = await times(cfg.parallel, () => settle(sdk.marketplace.show()));
  const after = await sdk.authInfo();
  const currentUser = await settle(sdk.currentUser.show());
  return {
    before,
    calls: calls.map(c => ({ ...apiResult(c), name: c.data && c.data.data.attributes.name })),
    after,
    current_user: apiResult(currentUser),
    stored: summary(store.getToken()),
    saved: store.saved,
  };
});
