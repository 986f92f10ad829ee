// sharetribe-flex-sdk logout: revokes the session's refresh token and clears the stored token;
// later calls fall back to an anonymous token.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { apiResult, recording, run, settle, summary } from '../harness.mjs';

run(async cfg => {
  const store = recording(sharetribeSdk.tokenStore.memoryStore());
  const sdk = sharetribeSdk.createInstance({ clientId: cfg.clientId, baseUrl: cfg.baseUrl, tokenStore: store });
  await settle(sdk.login({ username: cfg.email, password: cfg.password }));
  const me = await settle(sdk.currentUser.show());
  const revoked = store.getToken();
  const logout = await settle(sdk.logout());
  const info = await sdk.authInfo();
  const browsing = await settle(sdk.marketplace.show());
  return {
    me: apiResult(me),
    logout: { status: logout.status, data: logout.data },
    info,
    browsing: apiResult(browsing),
    after: summary(store.getToken()),
    revoked_refresh_token: revoked.refresh_token,
  };
});
