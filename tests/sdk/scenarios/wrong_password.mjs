// sharetribe-flex-sdk: a wrong password rejects login with 401 and leaves the stored token alone.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { recording, run, settle } from '../harness.mjs';

run(async cfg => {
  const store = recording(sharetribeSdk.tokenStore.memoryStore());
  const sdk = sharetribeSdk.createInstance({ clientId: cfg.clientId, baseUrl: cfg.baseUrl, tokenStore: store });
  const login = await settle(sdk.login({ username: cfg.email, password: `${cfg.password}-wrong` }));
  const info = await sdk.authInfo();
  return { login: { status: login.status, data: login.data }, info, saved: store.saved };
});
