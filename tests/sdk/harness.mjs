// Shared by the scenario scripts: the configuration the pytest side passes in SDK_SCENARIO
// (JSON), a recording token store, and one JSON result line on stdout.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const config = JSON.parse(process.env.SDK_SCENARIO || '{}');

// A short SHA-256 of a token, so results compare tokens without carrying them.
export const digest = token => (token ? createHash('sha256').update(token).digest('hex').slice(0, 16) : null);

// What the tests assert about a stored token; the token values only as digests.
export const summary = token =>
  token && {
    keys: Object.keys(token).filter(k => k !== 'isLoggedInAs').sort(),
    token_type: token.token_type,
    scope: token.scope,
    expires_in: token.expires_in,
    access: digest(token.access_token),
    refresh: digest(token.refresh_token),
    bytes: JSON.stringify(token).length,
    access_bytes: token.access_token ? token.access_token.length : 0,
  };

// Wraps one of the SDK's own token stores and remembers every token the SDK saved in it.
export const recording = store => {
  const saved = [];
  return {
    saved,
    getToken: () => store.getToken(),
    setToken: token => {
      saved.push(summary(token));
      return store.setToken(token);
    },
    removeToken: () => {
      saved.push(null);
      return store.removeToken();
    },
  };
};

// The outcome of an SDK call: its status and data, or the status and data of its error.
export const settle = async promise => {
  try {
    const res = await promise;
    return { ok: true, status: res ? res.status : null, data: res ? res.data : null };
  } catch (e) {
    return { ok: false, status: e.status ?? null, data: e.data ?? null, message: e.message };
  }
};

// The id of the resource an API call returned (a Transit UUID read by the SDK).
export const resourceId = outcome => {
  const id = outcome.data && outcome.data.data && outcome.data.data.id;
  return id ? id.uuid : null;
};

export const apiResult = outcome => ({ status: outcome.status, id: resourceId(outcome) });

// Sleeps until the access token's `exp` has passed (a gateway then answers 401).
export const waitUntilExpired = async accessToken => {
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
  const wait = claims.exp * 1000 - Date.now() + 300;
  if (wait > 0) await sleep(wait);
  return claims.exp;
};

export const times = (n, fn) => Promise.all(Array.from({ length: n }, fn));

// Runs one scenario and prints its result as one JSON line (a crash too, with exit status 1).
export const run = async scenario => {
  try {
    const result = await scenario(config, process.argv.slice(2));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ crash: String((e && e.stack) || e) })}\n`);
    process.exitCode = 1;
  }
};
