// sharetribe-flex-sdk loginWithIdp in the web template's order: the server-side SDK (client id and
// secret) presents an identity provider's token; tokenhouse does not know the identity, so the
// call rejects (401) and the template would ask the user to confirm the sign-up. The marketplace
// backend then creates the user through tokenhouse's admin API with that identity (where the
// template calls currentUser.createWithIdp), and the same loginWithIdp call succeeds with exactly
// 200. The SDK then acts as the user, and refreshes once the access token expires.
// Without `adminUrl` in the configuration only the first call is made.
import sharetribeSdk from 'sharetribe-flex-sdk';
import { apiResult, recording, run, settle, summary, waitUntilExpired } from '../harness.mjs';

// What the marketplace backend sends to tokenhouse's admin API to sign the user up.
const createUser = async cfg => {
  const res = await fetch(`${cfg.adminUrl}/admin/v1/users`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${cfg.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      email: cfg.email,
      email_verified: true,
      identities: [{ idp_id: cfg.idpId, sub: cfg.sub }],
    }),
  });
  const body = await res.json();
  return { status: res.status, id: body.id ?? null, identities: body.identities ?? null };
};

const rejected = outcome => ({ status: outcome.status, data: outcome.data });

run(async cfg => {
  const store = recording(sharetribeSdk.tokenStore.memoryStore());
  const sdk = sharetribeSdk.createInstance({
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    baseUrl: cfg.baseUrl,
    tokenStore: store,
  });
  const idp = { idpId: cfg.idpId, idpClientId: cfg.idpClientId, idpToken: cfg.idpToken };

  const unknown = await settle(sdk.loginWithIdp(idp));
  const before = { unknown: rejected(unknown), info: await sdk.authInfo(), saved: [...store.saved] };
  if (!cfg.adminUrl) return before;

  const created = await createUser(cfg);
  const login = await settle(sdk.loginWithIdp(idp));
  const info = await sdk.authInfo();
  const me = await settle(sdk.currentUser.show());
  const loggedIn = store.getToken();
  await waitUntilExpired(loggedIn.access_token);
  const afterExpiry = await settle(sdk.currentUser.show());
  const final = store.getToken();
  return {
    ...before,
    created,
    login: { ok: login.ok, status: login.status, token: summary(login.data) },
    info,
    me: apiResult(me),
    logged_in: summary(loggedIn),
    after_expiry: apiResult(afterExpiry),
    final: summary(final),
    final_refresh_token: final.refresh_token,
    final_info: await sdk.authInfo(),
  };
});
