// A programme venue terminal (hirakata_points_programme): records
// participation in its programme session by card tap, with a running count.
// Served beside the terminal app's own files, whose app.js loads it.
import * as api from './api.js';
import {cardInput, failure, state} from './app.js';
import {h, points, show} from './dom.js';

function venue(message = null) {
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

export {venue as start};
