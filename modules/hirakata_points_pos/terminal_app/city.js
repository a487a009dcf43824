// The city's devices: a venue terminal records participation in its
// programme session by card tap; a kiosk shows a card's balance, then
// clears itself.
import * as api from './api.js';
import {cardInput, failure, state} from './app.js';
import {h, points, show} from './dom.js';

export function venue(message = null) {
  const info = state.terminal.venue;
  state.onCard = record;
  show(h('h1', {}, info.programme.name),
    h('p', {}, `${info.session.date} ${info.session.name}`),
    h('p', {}, '参加者 ', h('span', {class: 'count', id: 'count'},
      info.count), ' 人'),
    message,
    h('p', {class: 'hint'}, '参加者のカードをカードリーダーにかざしてください。'),
    cardInput(),
    h('h2', {}, '最近の記録'),
    info.latest.length ? h('ul', {class: 'plain'}, info.latest.map((p) =>
      h('li', {}, `${p.recorded_at.slice(11, 16)} ${p.holder.name} 様 `
        + points(p.points)))) : h('p', {}, 'まだ記録はありません。'));
}

async function record(card) {
  let message;
  try {
    const answer = await api.write('venue/participations', {card},
      '参加の記録');
    const p = answer.participation;
    message = h('p', {class: 'message ok', role: 'status'},
      `${p.holder.name} 様：${points(p.points)}を付けました`);
  } catch (error) {
    if (!(error instanceof api.ApiError) || error.status === 401) {
      return failure(error, venue);
    }
    message = h('p', {class: 'message error', role: 'alert'}, error.message);
  }
  try {
    state.terminal.venue = await api.get('venue');
  } catch (error) {
    return failure(error, venue);
  }
  venue(message);
}

export function kiosk() {
  state.onCard = showBalance;
  document.body.classList.add('kiosk');
  show(h('h1', {}, 'カードをかざすと、ポイント残高が表示されます'),
    h('p', {class: 'hint'}, 'カードリーダーにカードをかざしてください。'),
    cardInput('QRカードの番号', {camera: false}));
}

async function showBalance(card) {
  let summary;
  try {
    summary = await api.post('cards/lookup', {card});
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) {
      return failure(error, kiosk);
    }
    show(h('h1', {}, '表示できませんでした'),
      h('p', {class: 'message error', role: 'alert'}, error.message));
    return clearLater();
  }
  const soon = summary.expiring_soon;
  show(h('h1', {}, `${summary.holder.name} 様`),
    h('p', {}, 'ポイント残高'),
    h('p', {class: 'big', id: 'balance'}, points(summary.balance)),
    soon.points ? h('p', {}, `${soon.days}日以内に失効するポイント：`
      + points(soon.points), h('br'), soon.by_date.map(
      (d) => `${d.date}まで ${points(d.points)}`).join('、'))
      : h('p', {}, '近く失効するポイントはありません。'));
  clearLater();
}

// The next person in line should not see the balance.
function clearLater() {
  const ms = Number(localStorage.getItem('hpKioskClearMs')) || 8000;
  clearTimeout(state.kioskTimer);
  state.kioskTimer = setTimeout(kiosk, ms);
}
