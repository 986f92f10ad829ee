// A stand-in marketplace server for the browser tier: the two login-as endpoints behave as the
// Sharetribe web template's (server/api/initiate-login-as.js and server/api/login-as.js), with
// the same environment variables, cookie names, lifetimes and redirects, on plain node:http.
// `/` shows the SDK's authInfo() as JSON. One JSON line on stdout says where it listens; then
// one line per login-as outcome (statuses only: never a code, verifier or token).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import sharetribeSdk from 'sharetribe-flex-sdk';

const CLIENT_ID = process.env.REACT_APP_SHARETRIBE_SDK_CLIENT_ID;
const ROOT_URL = process.env.REACT_APP_MARKETPLACE_ROOT_URL;
const CONSOLE_URL = process.env.SERVER_SHARETRIBE_CONSOLE_URL || 'https://console.sharetribe.com';
const USING_SSL = process.env.REACT_APP_SHARETRIBE_USING_SSL === 'true';
const BASE_URL = process.env.REACT_APP_SHARETRIBE_SDK_BASE_URL;
const PORT = Number(process.env.PORT || 0);

const loginAsRedirectUri = ROOT_URL ? `${ROOT_URL.replace(/\/$/, '')}/api/login-as` : null;
const stateKey = `st-${CLIENT_ID}-oauth2State`;
const codeVerifierKey = `st-${CLIENT_ID}-pkceCodeVerifier`;
const targetPathKey = `st-${CLIENT_ID}-targetPath`;
const LOGIN_COOKIE_MS = 30 * 1000; // the template's maxAge for the three cookies

const note = fields => process.stdout.write(`${JSON.stringify(fields)}\n`);

// The small part of express the SDK's cookie store and the handlers use.
const parseCookies = header => {
  const cookies = {};
  for (const part of (header || '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name && !(name in cookies)) {
      try {
        cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        cookies[name] = part.slice(at + 1).trim();
      }
    }
  }
  return cookies;
};

const exchange = (nodeReq, nodeRes) => {
  const url = new URL(nodeReq.url, 'http://stand-in');
  const setCookies = [];
  const req = { query: Object.fromEntries(url.searchParams), cookies: parseCookies(nodeReq.headers.cookie) };
  const cookieHeader = (name, value, opts) => {
    const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/'];
    if (opts.maxAge !== undefined) {
      parts.push(`Max-Age=${Math.floor(opts.maxAge / 1000)}`);
      parts.push(`Expires=${new Date(Date.now() + opts.maxAge).toUTCString()}`);
    }
    if (opts.expires) parts.push(`Expires=${opts.expires.toUTCString()}`);
    if (opts.secure) parts.push('Secure');
    return parts.join('; ');
  };
  const send = (status, type, body, headers = {}) => {
    nodeRes.writeHead(status, { 'Content-Type': type, 'Set-Cookie': setCookies, ...headers });
    nodeRes.end(body);
  };
  const res = {
    cookie: (name, value, opts = {}) => setCookies.push(cookieHeader(name, value, opts)),
    clearCookie: (name, opts = {}) => setCookies.push(cookieHeader(name, '', { ...opts, expires: new Date(0) })),
    redirect: location => send(302, 'text/plain; charset=utf-8', `Found. Redirecting to ${location}`, { Location: location }),
    text: (status, message) => send(status, 'text/plain; charset=utf-8', message),
    html: body => send(200, 'text/html; charset=utf-8', body),
  };
  return { path: url.pathname, req, res };
};

const sdkFor = (req, res) =>
  sharetribeSdk.createInstance({
    clientId: CLIENT_ID,
    tokenStore: sharetribeSdk.tokenStore.expressCookieStore({ clientId: CLIENT_ID, req, res, secure: USING_SSL }),
    ...(BASE_URL ? { baseUrl: BASE_URL } : {}),
  });

const isRelativePath = path => typeof path === 'string' && path.startsWith('/') && !path.startsWith('//');
const base64url = bytes => bytes.toString('base64url');

// GET /api/initiate-login-as?user_id=...[&target_path=/...]
const initiateLoginAs = (req, res) => {
  const userId = req.query.user_id;
  if (!userId) return res.text(400, 'Missing query parameter: user_id.');
  if (!ROOT_URL) return res.text(409, 'Marketplace canonical root URL is missing.');
  const state = base64url(randomBytes(32));
  const codeVerifier = base64url(randomBytes(32));
  const codeChallenge = base64url(createHash('sha256').update(codeVerifier).digest());
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: loginAsRedirectUri,
    user_id: userId,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  });
  const opts = { maxAge: LOGIN_COOKIE_MS, secure: USING_SSL };
  res.cookie(stateKey, state, opts);
  res.cookie(codeVerifierKey, codeVerifier, opts);
  if (isRelativePath(req.query.target_path)) res.cookie(targetPathKey, req.query.target_path, opts);
  return res.redirect(`${CONSOLE_URL}/api/authorize-as?${params}`);
};

const sameState = (state, stored) =>
  typeof state === 'string' &&
  typeof stored === 'string' &&
  state.length > 0 &&
  state.length === stored.length &&
  timingSafeEqual(Buffer.from(state), Buffer.from(stored));

// GET /api/login-as?code=...&state=... (or ?error=...&state=...)
const loginAs = async (req, res) => {
  const { code, state, error } = req.query;
  if (!sameState(state, req.cookies[stateKey])) {
    note({ event: 'login-as', outcome: 'bad_state' });
    return res.text(401, 'Invalid state parameter.');
  }
  if (error) {
    note({ event: 'login-as', outcome: 'authorization_failed', error });
    return res.text(401, 'Failed to authorize as a user.');
  }
  const codeVerifier = req.cookies[codeVerifierKey];
  const target = req.cookies[targetPathKey];
  const redirectTo = `${ROOT_URL.replace(/\/$/, '')}${isRelativePath(target) ? target : '/'}`;
  for (const key of [stateKey, codeVerifierKey, targetPathKey]) res.clearCookie(key, { secure: USING_SSL });
  try {
    await sdkFor(req, res).loginAs({ code, redirect_uri: loginAsRedirectUri, code_verifier: codeVerifier });
  } catch (e) {
    note({ event: 'login-as', outcome: 'token_refused', status: e.status ?? null });
    return res.text(401, 'Unable to authenticate as a user');
  }
  note({ event: 'login-as', outcome: 'logged_in' });
  return res.redirect(redirectTo);
};

const escapeHtml = text =>
  text.replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);

// GET /: who the SDK thinks this browser is.
const home = async (req, res) => {
  const info = await sdkFor(req, res).authInfo();
  res.html(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>Stand-in marketplace</title></head><body>' +
      '<h1>Stand-in marketplace</h1><p>authInfo():</p>' +
      `<pre id="auth-info" style="white-space: pre-wrap; overflow-wrap: anywhere">${escapeHtml(JSON.stringify(info))}</pre>` +
      '</body></html>',
  );
};

const noIcon = (req, res) => res.text(204, '');

const routes = {
  '/': home,
  '/favicon.ico': noIcon,
  '/api/initiate-login-as': initiateLoginAs,
  '/api/login-as': loginAs,
};

const server = createServer((nodeReq, nodeRes) => {
  const { path, req, res } = exchange(nodeReq, nodeRes);
  const handler = nodeReq.method === 'GET' ? routes[path] : undefined;
  if (!handler) return res.text(404, 'Not found.');
  Promise.resolve(handler(req, res)).catch(e => {
    note({ event: 'crash', error: String(e) });
    if (!nodeRes.headersSent) res.text(500, 'Stand-in failed.');
  });
});

server.listen(PORT, '127.0.0.1', () => note({ listening: server.address().port }));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
