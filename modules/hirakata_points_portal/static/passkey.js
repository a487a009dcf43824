// Passkeys: the buttons with class "passkey" register this device's
// passkey (data-action="register") or sign in / confirm it is you with it
// ("sign-in", "reauth"). The server sends WebAuthn options as JSON with
// base64url strings; the browser wants bytes, and the answer goes back
// as JSON with base64url strings again.
const problem = document.getElementById('passkey-error');

function bytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64 + '='.repeat((4 - base64.length % 4) % 4)),
    (c) => c.charCodeAt(0));
}

function text(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function encoded(credential) {
  const response = credential.response;
  const answer = {id: credential.id, rawId: text(credential.rawId),
    type: credential.type, clientExtensionResults: {}, response: {
      clientDataJSON: text(response.clientDataJSON)}};
  if (response.attestationObject) {
    answer.response.attestationObject = text(response.attestationObject);
    answer.response.transports = response.getTransports
      ? response.getTransports() : [];
  } else {
    answer.response.authenticatorData = text(response.authenticatorData);
    answer.response.signature = text(response.signature);
    answer.response.userHandle = response.userHandle
      ? text(response.userHandle) : null;
  }
  return answer;
}

async function post(url, body) {
  const response = await fetch(url, {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const answer = await response.json().catch(() => null);
  if (!response.ok || !answer) {
    throw new Error(answer?.error?.message
      || 'パスキーを使えませんでした。しばらくしてから、もう一度お試しください。');
  }
  return answer;
}

async function run(button) {
  problem.hidden = true;
  const register = button.dataset.action === 'register';
  const base = register ? 'passkey/register' : 'passkey/sign-in';
  try {
    const {options} = await post(base + '/options');
    const publicKey = JSON.parse(options);
    publicKey.challenge = bytes(publicKey.challenge);
    if (register) {
      publicKey.user.id = bytes(publicKey.user.id);
      publicKey.excludeCredentials = (publicKey.excludeCredentials || [])
        .map((c) => ({...c, id: bytes(c.id)}));
    } else {
      publicKey.allowCredentials = (publicKey.allowCredentials || [])
        .map((c) => ({...c, id: bytes(c.id)}));
    }
    const credential = register
      ? await navigator.credentials.create({publicKey})
      : await navigator.credentials.get({publicKey});
    const next = button.dataset.next ? '?next=' + button.dataset.next : '';
    const answer = await post(base + next, encoded(credential));
    location.href = answer.next;
  } catch (error) {
    problem.textContent = error.name === 'NotAllowedError'
      ? 'パスキーの操作が取り消されたか、時間切れになりました。もう一度お試しください。'
      : error.message;
    problem.hidden = false;
  }
}

if (window.PublicKeyCredential) {
  for (const button of document.querySelectorAll('button.passkey')) {
    button.hidden = false;
    button.addEventListener('click', () => run(button));
  }
}
