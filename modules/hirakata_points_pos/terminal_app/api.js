// The terminal API (../api/v1/ on this server). Reads are plain calls;
// writes carry an idempotency key, are kept in IndexedDB until answered and
// are retried with the same key while the network or the server fails, so
// the points move exactly once.
import * as pending from './pending.js';

const BASE = new URL('../api/v1/', location.href);
const RETRY_MAX_MS = 10000;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const credential = {
  get: () => localStorage.getItem('hpCredential'),
  set: (value) => localStorage.setItem('hpCredential', value),
  clear: () => localStorage.removeItem('hpCredential'),
};
export const clerk = {
  get: () => sessionStorage.getItem('hpClerk'),
  set: (value) => sessionStorage.setItem('hpClerk', value),
  clear: () => sessionStorage.removeItem('hpClerk'),
};

function timeoutMs() {
  return Number(localStorage.getItem('hpTimeoutMs')) || 8000;
}

// One HTTP exchange; throws ApiError for an answer other than success and
// TypeError/AbortError when no answer came.
async function send(method, path, body, key) {
  const headers = {'Content-Type': 'application/json'};
  if (credential.get()) headers.Authorization = `Bearer ${credential.get()}`;
  if (clerk.get()) headers['X-Clerk-Session'] = clerk.get();
  if (key) headers['Idempotency-Key'] = key;
  const response = await fetch(new URL(path, BASE), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs()), cache: 'no-store',
  });
  let data;
  try {
    data = await response.json();
  } catch {
    throw new ApiError(response.status, 'internal',
      'サーバーから正しい応答がありませんでした。');
  }
  if (!response.ok) {
    const error = data.error || {};
    throw new ApiError(response.status, error.code || 'internal',
      error.message || 'エラーが発生しました。');
  }
  return data;
}

export const get = (path) => send('GET', path);
export const post = (path, body) => send('POST', path, body);

const retryable = (error) => !(error instanceof ApiError) || error.status >= 500;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A write: kept, sent until the server answers, then forgotten. onWait is
// called when the first try got no answer (the clerk sees "pending").
export async function write(path, body, label, onWait = () => {}) {
  const item = {key: crypto.randomUUID(), path, body, label,
    created: new Date().toISOString()};
  await pending.keep(item);
  return deliver(item, onWait);
}

export async function deliver(item, onWait = () => {}) {
  let delay = 1000;
  for (;;) {
    try {
      const result = await send('POST', item.path, item.body, item.key);
      await pending.forget(item.key);
      return result;
    } catch (error) {
      if (!retryable(error)) {
        await pending.forget(item.key);
        throw error;
      }
      onWait(item);
      await sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}

export const unanswered = () => pending.all();
