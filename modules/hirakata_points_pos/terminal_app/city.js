// The city's balance kiosk: it shows a card's balance, then clears itself.
import * as api from './api.js';
import {cardInput, failure, state} from './app.js';
import {h, points, show} from './dom.js';

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
