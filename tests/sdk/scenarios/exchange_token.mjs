// sharetribe-flex-sdk exchangeToken: a logged-in user's token becomes a trusted:user token, which
// needs the client secret. Mode "trusted" uses the right secret; "secrets" tries none and a wrong one.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { apiResult, digest, run, settle, summary } from '../harness.mjs';

const loggedIn = async (cfg, clientSecret) => {
  const store = sharetribeSdk.tokenStore.memoryStore();
  const sdk = sharetribeSdk.createInstance({ clientId: cfg.clientId, clientSecret, baseUrl: cfg.baseUrl, tokenStore: store });
  const login = await settle(sdk.login({ username: cfg.email, password: cfg.password }));
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  return { sdk, store };
};

const trusted = async cfg => {
  const { sdk, store } = await loggedIn(cfg, cfg.clientSecret);
  const userToken = store.getToken();
  const exchange = await settle(sdk.exchangeToken());
  // The trusted token is used as the web template does: a second SDK instance holding it.
  const trustedStore = sharetribeSdk.tokenStore.memoryStore();
  trustedStore.setToken(exchange.data);
  const trustedSdk = sharetribeSdk.createInstance({
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    baseUrl: cfg.baseUrl,
    tokenStore: trustedStore,
  });
  return {
    exchange: { status: exchange.status, token: summary(exchange.data), issued_token_type: exchange.data.issued_token_type },
    user_access: digest(userToken.access_token),
    user_token_kept: digest(store.getToken().access_token) === digest(userToken.access_token),
    me: apiResult(await settle(trustedSdk.currentUser.show())),
    user_me: apiResult(await settle(sdk.currentUser.show())),
  };
};

const secrets = async cfg => {
  const { sdk: noSecret } = await loggedIn(cfg, undefined);
  const { sdk: wrongSecret } = await loggedIn(cfg, `${cfg.clientSecret}x`);
  const without = await settle(noSecret.exchangeToken());
  const wrong = await settle(wrongSecret.exchangeToken());
  return {
    without_secret: { status: without.status, message: without.message },
    wrong_secret: { status: wrong.status, data: wrong.data },
  };
};

run((cfg, [mode]) => ({ trusted, secrets })[mode](cfg));
