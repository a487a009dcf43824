// A store's register: look a card up, grant points on a purchase, redeem
// points, cancel a recent transaction, the day's totals.
import * as api from './api.js';
import {cardInput, failure, state} from './app.js';
import {h, points, show, yen} from './dom.js';

const KINDS = {grant: '付与', redeem: '利用', reversal: '取消'};

export function start() {
  const store = state.terminal.store;
  if (store.clerk_pin_required && !api.clerk.get()) return clerkSignIn(start);
  return cardScreen();
}

function cardScreen() {
  state.onCard = lookUp;
  const clerkButton = api.clerk.get() ? h('button', {class: 'secondary',
    onclick: signOut}, '店員のサインアウト') : null;
  show(h('h1', {}, 'カードまたはQRコードを読み取ってください'),
    h('p', {class: 'hint'},
      'カードリーダーにカードをかざすか、QRコード（カード・スマートフォン）をカメラで読んでください。'),
    cardInput(),
    h('h2', {}, 'その他'),
    h('div', {class: 'row'},
      h('button', {class: 'secondary', onclick: totals}, '本日の集計'),
      h('button', {class: 'secondary', onclick: recent}, '取引の取消')),
    clerkButton);
}

async function lookUp(card) {
  let summary;
  try {
    summary = await api.post('cards/lookup', {card});
  } catch (error) {
    return failure(error, cardScreen);
  }
  const store = state.terminal.store;
  const soon = summary.expiring_soon;
  show(h('h1', {}, `${summary.holder.name} 様`),
    h('div', {class: 'card'},
      h('p', {}, '使えるポイント'),
      h('p', {class: 'big', id: 'balance'}, points(summary.balance)),
      soon.points ? h('p', {}, `${soon.days}日以内に失効：${points(soon.points)}`,
        h('br'), soon.by_date.map((d) => `${d.date}まで ${points(d.points)}`)
          .join('、')) : h('p', {class: 'hint'}, '近く失効するポイントはありません。')),
    store.grants ? h('button', {onclick: () => amountPad(card)},
      'ポイントを付ける（お買い上げ）') : null,
    store.redeems && summary.balance > 0 ? h('button',
      {onclick: () => pointsPad(card, summary.balance)}, 'ポイントを使う') : null,
    h('button', {class: 'secondary', onclick: cardScreen}, '別のカード・戻る'));
}

// A big number pad; onDone(value) with the number typed.
function numberPad(title, unit, note, onDone, back) {
  let value = '';
  const display = h('p', {class: 'display', id: 'pad-value', role: 'status',
    'aria-live': 'polite'}, `0${unit}`);
  const update = () => {
    display.textContent = `${Number(value || 0).toLocaleString('ja-JP')}${unit}`;
  };
  const key = (label, action, name = label) => h('button', {type: 'button',
    'aria-label': name, onclick: () => { action(); update(); }}, label);
  const digit = (d) => key(d, () => {
    if (value.length < 8) value = (value + d).replace(/^0+/, '');
  });
  show(h('h1', {}, title), note ? h('p', {}, note) : null, display,
    h('div', {class: 'pad'},
      ['7', '8', '9', '4', '5', '6', '1', '2', '3'].map(digit),
      digit('0'), digit('00'),
      key('⌫', () => { value = value.slice(0, -1); }, '1文字消す')),
    h('button', {onclick: () => Number(value) > 0 && onDone(Number(value))},
      '次へ'),
    h('button', {class: 'secondary', onclick: back}, '戻る'));
}

function amountPad(card) {
  numberPad('お買い上げ金額', '円', null, async (amount) => {
    let quote;
    try {
      quote = await api.post('grants/quote', {card, amount});
    } catch (error) {
      return failure(error, () => amountPad(card));
    }
    confirm('付けるポイントの確認', [
      h('p', {}, `お買い上げ ${yen(amount)}`),
      h('p', {class: 'big'}, points(quote.points)),
      h('p', {}, `${yen(quote.rate.yen_per_point)}ごとに1ポイント`),
      quote.campaigns.length ? h('ul', {}, quote.campaigns.map(
        (c) => h('li', {}, c))) : null,
    ], 'grants', {card, amount}, `${yen(amount)}のお買い上げに付与`,
    (result) => `${points(result.points)}を付けました`, () => amountPad(card));
  }, () => lookUp(card));
}

function pointsPad(card, balance) {
  numberPad('使うポイント', 'ポイント', `使えるポイント：${points(balance)}`,
    (value) => confirm('使うポイントの確認', [
      h('p', {class: 'big'}, points(value)),
      h('p', {}, `使えるポイント：${points(balance)}`),
    ], 'redemptions', {card, points: value}, `${points(value)}の利用`,
    (result) => `${points(result.points)}を使いました`,
    () => pointsPad(card, balance)), () => lookUp(card));
}

// Confirm, then send; nothing is shown as done before the server says so.
function confirm(title, lines, path, body, label, doneText, back) {
  show(h('h1', {}, title), ...lines,
    h('button', {onclick: () => send(path, body, label, doneText, back)},
      '確定する'),
    h('button', {class: 'secondary', onclick: back}, '戻る'));
}

async function send(path, body, label, doneText, back) {
  state.onCard = null;
  show(h('h1', {}, '送信しています'),
    h('p', {class: 'message wait', role: 'status'}, 'サーバーの応答を待っています…'));
  let result;
  try {
    result = await api.write(path, body, label, () => {
      show(h('h1', {}, '未確定です'),
        h('p', {class: 'message wait', role: 'status'},
          '通信を確認しています。まだ確定していません。このままお待ちください。'));
    });
  } catch (error) {
    return failure(error, back);
  }
  show(h('h1', {}, '完了しました'),
    h('p', {class: 'message ok', role: 'status'}, doneText(result)),
    result.balance !== undefined && result.balance !== null
      ? h('p', {}, `残高：${points(result.balance)}`) : null,
    h('button', {onclick: cardScreen}, '次のお客様'));
}

async function totals() {
  let day;
  try {
    day = await api.get('totals');
  } catch (error) {
    return failure(error, cardScreen);
  }
  const row = (label, count) => h('tr', {}, h('th', {scope: 'row'}, label),
    h('td', {class: 'num'}, `${count.count}件`),
    h('td', {class: 'num'}, points(count.points)));
  show(h('h1', {}, `本日の集計（${day.date}）`),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, '種類'),
        h('th', {scope: 'col', class: 'num'}, '件数'),
        h('th', {scope: 'col', class: 'num'}, 'ポイント'))),
      h('tbody', {}, row('付与', day.grants), row('利用', day.redemptions),
        row('取消', day.cancellations))),
    h('button', {onclick: cardScreen}, '戻る'));
}

async function recent() {
  let page;
  // The city's day, whatever the tablet's time zone (YYYY-MM-DD).
  const today = new Date().toLocaleDateString('sv-SE',
    {timeZone: 'Asia/Tokyo'});
  try {
    page = await api.get(`transactions?date=${today}`);
  } catch (error) {
    return failure(error, cardScreen);
  }
  const cancelled = new Set(page.transactions.map((t) => t.cancels));
  const open = page.transactions.filter((t) => t.kind !== 'reversal'
    && !cancelled.has(t.id));
  show(h('h1', {}, '取り消す取引を選んでください'),
    open.length ? h('ul', {class: 'plain'}, open.map((t) => h('li', {},
      h('button', {class: 'secondary', onclick: () => reason(t)},
        `${t.created_at.slice(11, 16)} ${KINDS[t.kind]} ${points(t.points)}`))))
      : h('p', {}, '本日、取り消せる取引はありません。'),
    h('button', {onclick: cardScreen}, '戻る'));
}

function reason(transaction) {
  const input = h('input', {id: 'reason', name: 'reason', required: true,
    maxlength: '200', autocomplete: 'off'});
  const preset = (text) => h('button', {type: 'button', class: 'secondary',
    onclick: () => { input.value = text; }}, text);
  show(h('h1', {}, '取消の理由'),
    h('p', {}, `${KINDS[transaction.kind]} ${points(transaction.points)}`
      + `（${transaction.created_at}）を取り消します。`),
    preset('金額の入力誤り'), preset('お客様のご要望'),
    h('form', {onsubmit: (event) => {
      event.preventDefault();
      send(`transactions/${transaction.id}/cancel`,
        {reason: input.value.trim()}, `取引${transaction.id}の取消`,
        () => '取り消しました', recent);
    }}, h('label', {for: 'reason'}, '理由'), input,
    h('button', {type: 'submit', class: 'danger'}, '取り消す')),
    h('button', {class: 'secondary', onclick: recent}, '戻る'));
}

export function clerkSignIn(next) {
  state.onCard = null;
  const number = h('input', {id: 'clerk-number', name: 'clerk-number',
    inputmode: 'numeric', autocomplete: 'username', required: true,
    autofocus: true});
  const pin = h('input', {id: 'clerk-pin', name: 'clerk-pin', type: 'password',
    inputmode: 'numeric', autocomplete: 'current-password', required: true});
  const error = h('p', {class: 'message error', role: 'alert', hidden: true});
  show(h('h1', {}, '店員のサインイン'),
    h('form', {onsubmit: async (event) => {
      event.preventDefault();
      try {
        const answer = await api.post('clerk/sign-in',
          {number: number.value.trim(), pin: pin.value});
        api.clerk.set(answer.session);
        next();
      } catch (failed) {
        if (failed instanceof api.ApiError && failed.code === 'unauthorized') {
          return failure(failed, next);
        }
        error.textContent = failed.message;
        error.hidden = false;
      }
    }}, h('label', {for: 'clerk-number'}, '店員番号'), number,
    h('label', {for: 'clerk-pin'}, '暗証番号'), pin, error,
    h('button', {type: 'submit'}, 'サインイン')));
}

async function signOut() {
  try {
    await api.post('clerk/sign-out', {});
  } finally {
    api.clerk.clear();
    clerkSignIn(start);
  }
}
