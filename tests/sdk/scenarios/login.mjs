// sharetribe-flex-sdk: browse anonymously, then log in with a password; API calls act as the user.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { apiResult, recording, run, settle, summary } from '../harness.mjs';

run(async cfg => {
  const store = recording(sharetribeSdk.tokenStore.memoryStore());
  const sdk = sharetribeSdk.createInstance({ clientId: cfg.clientId, baseUrl: cfg.baseUrl, tokenStore: store });
  const browsing = await settle(sdk.marketplace.show());
  const login = await settle(sdk.login({ username: cfg.email, password: cfg.password }));
  const info = await sdk.authInfo();
  const me = await settle(sdk.currentUser.show());
  return {
    browsing: apiResult(browsing),
    login: { status: login.status, token: summary(login.data) },
    info,
    me: apiResult(me),
    stored: summary(store.getToken()),
  };
});
