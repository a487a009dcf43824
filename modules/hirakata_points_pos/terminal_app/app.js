// The terminal app: activation, then the screens of the terminal's kind
// (a store's register, a city venue, a balance kiosk). Shared here: the
// card input, errors, the revoked terminal and unanswered requests.
import * as api from './api.js';
import {h, show} from './dom.js';
import {scan} from './camera.js';
import {connectBridge, parseQr, parseTyped} from './reader.js';

export const state = {terminal: null, onCard: null};

// The card input every card screen has: the bridge and the camera (unless
// camera is false) call state.onCard; the form takes typed or scanned
// numbers.
export function cardInput(label = 'カード番号（読み取れないとき）',
  {camera = true} = {}) {
  const input = h('input', {id: 'card-number', name: 'card-number',
    autocomplete: 'off', inputmode: 'numeric', autofocus: true,
    'aria-describedby': 'card-number-hint'});
  const hint = h('p', {id: 'card-number-hint', class: 'hint'},
    'QRカードの16桁の番号、またはバーコードリーダーで読み取ってください。');
  const error = h('p', {class: 'message error', role: 'alert', hidden: true});
  const form = h('form', {onsubmit: (event) => {
    event.preventDefault();
    const card = parseTyped(input.value);
    if (!card) {
      error.textContent = 'カード番号の形式が正しくありません。';
      error.hidden = false;
      return;
    }
    input.value = '';
    if (state.onCard) state.onCard(card);
  }},
  h('label', {for: 'card-number'}, label), input, hint, error,
  h('button', {type: 'submit', class: 'secondary'}, 'この番号で読み取る'));
  return [camera ? cameraReader() : null, form];
}

// A button that turns the camera on to read a QR card or a phone's code.
function cameraReader() {
  const area = h('div', {class: 'camera'});
  const message = (text, kind) => h('p', {class: `message ${kind}`,
    role: kind === 'error' ? 'alert' : 'status'}, text);
  const open = async () => {
    const video = h('video', {muted: true, playsinline: true,
      'aria-label': 'カメラの映像'});
    let stop = () => {};
    const close = h('button', {type: 'button', class: 'secondary',
      onclick: () => {
        stop();
        area.replaceChildren(button);
        button.focus();
      }},
    'カメラを止める');
    area.replaceChildren(message('QRコードをカメラに向けてください。', 'wait'),
      video, close);
    close.focus();
    try {
      stop = await scan(video, (text) => {
        const card = parseQr(text);
        if (!card) {
          area.replaceChildren(message(
            'このQRコードは枚方市ポイントのものではありません。', 'error'), button);
          button.focus();
        } else if (state.onCard) {
          state.onCard(card);
        }
      });
    } catch {
      area.replaceChildren(message(
        'カメラを使えません。カメラの使用を許可するか、番号を入力してください。',
        'error'), button);
      button.focus();
    }
  };
  const button = h('button', {type: 'button', onclick: open},
    'QRコードをカメラで読む');
  area.append(button);
  return area;
}

// An answer other than success: the revoked terminal stops, a store that
// needs its clerk asks for one, anything else is shown with a way back.
export function failure(error, back, backLabel = '戻る') {
  if (error instanceof api.ApiError && error.code === 'unauthorized') {
    return revoked();
  }
  if (error instanceof api.ApiError && error.code === 'clerk_required') {
    api.clerk.clear();
    return import('./store.js').then((store) => store.clerkSignIn(back));
  }
  const message = error instanceof api.ApiError ? error.message
    : 'サーバーに接続できません。通信を確認してください。';
  show(h('h1', {}, 'できませんでした'),
    h('p', {class: 'message error', role: 'alert'}, message),
    h('button', {onclick: back}, backLabel));
}

function revoked() {
  state.onCard = null;
  show(h('h1', {}, 'この端末は使用できません'),
    h('p', {class: 'message error', role: 'alert'},
      'この端末の登録は取り消されています。枚方市ポイント事務局にお問い合わせください。'),
    h('button', {class: 'secondary', onclick: () => {
      api.credential.clear();
      activation();
    }}, '新しい利用開始コードで登録し直す'));
}

function activation() {
  // 12 letters and digits, shown grouped (ABCD-EFGH-JKMN); the server
  // takes them with or without hyphens, in either case.
  const input = h('input', {id: 'code', name: 'code', inputmode: 'text',
    autocomplete: 'one-time-code', autocapitalize: 'characters',
    spellcheck: 'false', maxlength: '20', required: true, autofocus: true,
    'aria-describedby': 'code-hint'});
  const error = h('p', {class: 'message error', role: 'alert', hidden: true});
  show(h('h1', {}, '端末の登録'),
    h('p', {id: 'code-hint'},
      '事務局から受け取った12文字の利用開始コード（例：ABCD-EFGH-JKMN）を入力してください。ハイフンは省略できます。'),
    h('form', {onsubmit: async (event) => {
      event.preventDefault();
      try {
        const answer = await api.post('terminal/activate',
          {code: input.value.trim()});
        api.credential.set(answer.credential);
        start();
      } catch (failed) {
        error.textContent = failed instanceof api.ApiError ? failed.message
          : 'サーバーに接続できません。通信を確認してください。';
        error.hidden = false;
      }
    }}, h('label', {for: 'code'}, '利用開始コード'), input, error,
    h('button', {type: 'submit'}, '登録する')));
}

// Requests left unanswered by a reload or a crash: sent again with their
// keys until the server answers; the outcome is shown in the banner.
async function resumePending() {
  const items = await api.unanswered();
  const banner = document.getElementById('pending');
  if (!items.length) return;
  banner.hidden = false;
  banner.replaceChildren(h('p', {},
    `未確定の処理が${items.length}件あります。送信しています…`));
  for (const item of items) {
    let text;
    try {
      await api.deliver(item);
      text = `前回の処理「${item.label}」は完了しました。`;
    } catch (error) {
      text = `前回の処理「${item.label}」はできませんでした：${error.message}`;
    }
    banner.replaceChildren(h('p', {}, text),
      h('button', {class: 'secondary', onclick: () => { banner.hidden = true; }},
        '閉じる'));
  }
}

async function start() {
  if (!api.credential.get()) return activation();
  let info;
  try {
    info = await api.get('terminal');
  } catch (error) {
    return failure(error, start, 'もう一度試す');
  }
  state.terminal = info;
  const kind = info.terminal.kind;
  document.getElementById('title').textContent = kind === 'store'
    ? `${info.store.name}（${info.terminal.name}）` : info.terminal.name;
  if (kind === 'store') {
    const store = await import('./store.js');
    return store.start();
  }
  if (kind === 'kiosk') {
    const city = await import('./city.js');
    return city.kiosk();
  }
  // A kind another module adds brings its own screen, <kind>.js (venue.js).
  const screen = await import(`./${kind}.js`);
  return screen.start();
}

function main() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch(() => {});
  }
  const status = document.getElementById('reader');
  connectBridge((card) => state.onCard && state.onCard(card),
    (text) => { status.textContent = text; });
  resumePending();
  start();
}

main();
