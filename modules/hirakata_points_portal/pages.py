"""The portal's pages as HTML: Japanese, large type, one column for a
phone, WCAG 2.1 AA. Every value goes through esc(); nothing else is
interpolated. The account's pages (sign-up, sign-in, linking a card,
passkeys, sessions) are in pages_account.py."""
from html import escape as esc

SITE = "枚方市ポイント"


def _points(value):
    return '{:,}ポイント'.format(value)


def _date(value):
    return value.strftime('%Y/%m/%d')


def alert(error):
    "An error sentence over a form (read out at once)."
    return ('<p class="message error" role="alert" id="form-error">%s</p>'
        % esc(error)) if error else ''


def note(text):
    "A notice over a page (e.g. 'the mail was sent')."
    return ('<p class="message ok" role="status">%s</p>' % esc(text)
        if text else '')


def layout(title, body, signed_in=False, script=None, error=False):
    """A whole page: the site bar, the page's title as h1, body (HTML);
    with error, the window title says so first (read out on load)."""
    sign_out = ''
    if signed_in:
        sign_out = (
            '<form method="post" action="sign-out" class="bar-form">'
            '<button type="submit" class="link">ログアウト</button></form>')
    script_tag = ('<script src="static/%s" defer></script>' % esc(script)
        if script else '')
    return f'''<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{"エラー：" if error else ""}{esc(title)}｜{SITE}</title>
<link rel="stylesheet" href="static/portal.css">
{script_tag}
</head>
<body>
<header class="bar">
<p class="site"><a href="./">{SITE}</a></p>
{sign_out}
</header>
<main id="main">
<h1>{esc(title)}</h1>
{body}
</main>
<footer class="foot"><p>お問い合わせ：枚方市ポイント事務局</p></footer>
</body>
</html>'''


def home(holder, schedule, history, today):
    """The resident's own page: balance, what expires when, the latest
    entries, and the way to the code to show at a store."""
    balance = sum(points for _, points in schedule)
    if schedule:
        rows = ''.join(
            f'<tr><td>{_date(date)}</td><td class="num">{_points(points)}</td>'
            '</tr>' for date, points in schedule)
        expiry = ('<table><caption>有効期限ごとのポイント</caption>'
            '<thead><tr><th scope="col">有効期限</th>'
            '<th scope="col" class="num">ポイント</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>')
    else:
        expiry = '<p>使えるポイントはありません。</p>'
    if history:
        items = ''.join(
            f'<tr><td>{_date(date)}</td><td>{esc(what)}</td>'
            f'<td class="num">{"+" if points > 0 else "−"}'
            f'{_points(abs(points))}</td></tr>'
            for date, what, points in history)
        recent = ('<table><caption>最近のポイントの動き（新しい順）</caption>'
            '<thead><tr><th scope="col">日付</th><th scope="col">内容</th>'
            '<th scope="col" class="num">ポイント</th></tr></thead>'
            f'<tbody>{items}</tbody></table>')
    else:
        recent = '<p>まだポイントの動きはありません。</p>'
    body = f'''<p class="greeting">{esc(holder.name)} 様（利用者番号 {esc(holder.number or '')}）</p>
<section class="card" aria-labelledby="balance-title">
<h2 id="balance-title">使えるポイント</h2>
<p class="big" id="balance">{_points(balance)}</p>
<p class="hint">{_date(today)} 現在</p>
</section>
<a class="button" href="code">お店で見せるコード（QRコード）</a>
<a class="button secondary" href="account">アカウントの設定（パスキー・ログイン中の端末）</a>
<h2>有効期限</h2>
{expiry}
<h2>最近の動き</h2>
{recent}'''
    return layout("マイページ", body, signed_in=True)


def code(image, seconds):
    """The code to show at a store: image is the QR code as a data: URI;
    code.js fetches a new one every seconds."""
    body = f'''<p>お店の方に、この画面のQRコードを読み取ってもらってください。</p>
<div class="qr" data-refresh="{int(seconds)}">
<img id="qr" src="{esc(image)}" alt="ポイントを使うためのQRコード" width="300" height="300">
</div>
<p id="left" class="hint">このコードは{int(seconds)}秒ごとに新しくなります。一度使ったコードは使えません。</p>
<p class="message error" role="alert" id="code-error" hidden></p>
<form method="get" action="code">
<button type="submit" id="renew">新しいコードにする</button>
</form>
<a class="button secondary" href="./">マイページに戻る</a>'''
    return layout("お店で見せるコード", body, signed_in=True,
        script='code.js')
