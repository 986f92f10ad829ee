// sharetribe-flex-sdk: after the access token expires, parallel API calls each get 401 and each
// refresh with the same refresh token; every call must still succeed as the user.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { apiResult, recording, run, settle, summary, times, waitUntilExpired } from '../harness.mjs';

run(async cfg => {
  const store = recording(sharetribeSdk.tokenStore.memoryStore());
  const sdk = sharetribeSdk.createInstance({ clientId: cfg.clientId, baseUrl: cfg.baseUrl, tokenStore: store });
  const login = await settle(sdk.login({ username: cfg.email, password: cfg.password }));
  const first = await settle(sdk.currentUser.show());
  const loggedIn = store.getToken();
  const expired = await waitUntilExpired(loggedIn.access_token);
  const calls = await times(cfg.parallel, () => settle(sdk.currentUser.show()));
  const final = store.getToken();
  return {
    login: login.status,
    first: apiResult(first),
    expired_at: expired,
    calls: calls.map(apiResult),
    logged_in: summary(loggedIn),
    refreshed: store.saved.slice(1),
    final: summary(final),
    final_refresh_token: final.refresh_token,
    info: await sdk.authInfo(),
  };
});
