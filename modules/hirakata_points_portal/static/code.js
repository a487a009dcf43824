// The code page: a new code every data-refresh seconds while the page is
// visible, and at once when it comes back into view; codes are short-lived
// and work once, so the one on screen is always fresh.
const box = document.querySelector('.qr');
const image = document.getElementById('qr');
const left = document.getElementById('left');
const problem = document.getElementById('code-error');
const seconds = Number(box.dataset.refresh) || 60;
let remaining = seconds;

function showLeft() {
  left.textContent = `あと${remaining}秒で新しいコードになります。一度使ったコードは使えません。`;
}

async function renew() {
  remaining = seconds;
  try {
    const response = await fetch('code/new', {method: 'POST',
      credentials: 'same-origin', headers: {Accept: 'application/json'}});
    if (response.status === 401) {
      // Signed out, or the last check that it is you is too old.
      const answer = await response.json().catch(() => null);
      location.href = answer?.error?.code === 'reauth'
        ? 'reauth?next=code' : 'sign-in';
      return;
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch {
      // Not our JSON (e.g. a proxy's error page): said in Japanese below.
    }
    if (!response.ok || !answer) {
      throw new Error(answer?.error?.message
        || '新しいコードを受け取れませんでした。しばらくしてから「新しいコードにする」を押してください。');
    }
    image.src = answer.image;
    image.hidden = false;
    problem.hidden = true;
  } catch (error) {
    // The old code stops working soon: better none than a dead one.
    image.hidden = true;
    problem.textContent = error instanceof TypeError
      ? '新しいコードを受け取れませんでした。通信を確認して「新しいコードにする」を押してください。'
      : error.message;
    problem.hidden = false;
  }
  showLeft();
}

document.querySelector('form[action="code"]').addEventListener(
  'submit', (event) => {
    event.preventDefault();
    renew();
  });
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) renew();
});
setInterval(() => {
  if (document.hidden) return;
  remaining -= 1;
  if (remaining <= 0) {
    renew();
  } else {
    showLeft();
  }
}, 1000);
showLeft();
