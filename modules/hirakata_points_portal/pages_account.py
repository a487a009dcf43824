"""The web account's pages: sign-up, sign-in (password or passkey),
password reset, confirming it is you again, linking a card, the account
page (passkeys, sessions). Japanese, large type, WCAG 2.1 AA; every value
goes through esc()."""
from trytond.modules.hirakata_points import clock

from .pages import alert, esc, layout, note

PASSWORD_HINT = "8文字以上。ほかのサイトと同じものは避けてください。"


def field(name, label, value='', kind='text', autocomplete='off',
        hint=None, error=False, inputmode=None):
    "A labelled input; its hint and the form's error read out with it."
    described = ' '.join(filter(None, [hint and name + '-hint',
                error and 'form-error']))
    return (f'<label for="{name}">{label}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" '
        f'value="{esc(value)}" autocomplete="{autocomplete}"'
        + (f' inputmode="{inputmode}"' if inputmode else '')
        + (f' aria-describedby="{described}"' if described else '')
        + (' aria-invalid="true"' if error else '') + '>'
        + (f'<p class="hint" id="{name}-hint">{hint}</p>' if hint else ''))


def hidden(name, value):
    return f'<input type="hidden" name="{name}" value="{esc(value)}">'


def passkey_button(action, label, next_=''):
    "A button passkey.js runs (hidden until it knows the browser can)."
    return (f'<button type="button" class="passkey" data-action="{action}"'
        f' data-next="{esc(next_)}" hidden>{label}</button>'
        '<p class="message error" role="alert" id="passkey-error" hidden>'
        '</p>')


def sign_in(error=None, email='', message=None):
    body = f'''{alert(error)}{note(message)}
{passkey_button('sign-in', 'パスキーでログイン（指紋・顔認証）')}
<form method="post" action="sign-in" class="form">
{field('email', 'メールアドレス', email, 'email', 'username', error=bool(error))}
{field('password', 'パスワード', '', 'password', 'current-password',
        error=bool(error))}
<button type="submit">ログイン</button>
</form>
<a class="button secondary" href="sign-up">はじめての方（アカウントを作る）</a>
<p><a href="forgot">パスワードを忘れた方</a></p>'''
    return layout("ログイン", body, script='passkey.js', error=bool(error))


def sign_up(error=None, email=''):
    body = f'''{alert(error)}
<p>メールアドレスとパスワードで、枚方市ポイントのウェブアカウントを作ります。確認のメールが届きます。</p>
<form method="post" action="sign-up" class="form">
{field('email', 'メールアドレス', email, 'email', 'email', error=bool(error))}
{field('password', 'パスワード', '', 'password', 'new-password',
        PASSWORD_HINT, bool(error))}
{field('password2', 'パスワード（もう一度）', '', 'password', 'new-password',
        error=bool(error))}
<button type="submit">アカウントを作る</button>
</form>
<p><a href="sign-in">ログインに戻る</a></p>'''
    return layout("アカウントを作る", body, error=bool(error))


def done(title, text, link='sign-in', link_text="ログインへ"):
    "A page saying what happened, with the way on."
    body = (f'<p class="message ok" role="status">{esc(text)}</p>'
        f'<a class="button" href="{esc(link)}">{esc(link_text)}</a>')
    return layout(title, body)


def forgot(error=None, email=''):
    body = f'''{alert(error)}
<p>登録したメールアドレスに、パスワードを決め直すためのメールを送ります。</p>
<form method="post" action="forgot" class="form">
{field('email', 'メールアドレス', email, 'email', 'email', error=bool(error))}
<button type="submit">メールを送る</button>
</form>
<p><a href="sign-in">ログインに戻る</a></p>'''
    return layout("パスワードを忘れた方", body, error=bool(error))


def reset(email, token, error=None):
    body = f'''{alert(error)}
<form method="post" action="reset" class="form">
{hidden('email', email)}{hidden('token', token)}
{field('password', '新しいパスワード', '', 'password', 'new-password',
        PASSWORD_HINT, bool(error))}
{field('password2', '新しいパスワード（もう一度）', '', 'password',
        'new-password', error=bool(error))}
<button type="submit">パスワードを決める</button>
</form>'''
    return layout("パスワードの再設定", body, error=bool(error))


def reauth(error=None, next_='code'):
    body = f'''{alert(error)}
<p>ポイントを使う前に、ご本人であることをもう一度確かめます。</p>
{passkey_button('reauth', 'パスキーで確認（指紋・顔認証）', next_)}
<form method="post" action="reauth" class="form">
{hidden('next', next_)}
{field('password', 'パスワード', '', 'password', 'current-password',
        error=bool(error))}
<button type="submit">パスワードで確認</button>
</form>
<a class="button secondary" href="./">マイページに戻る</a>'''
    return layout("ご本人の確認", body, signed_in=True, script='passkey.js',
        error=bool(error))


def _date_fields(values, error):
    invalid = ' aria-invalid="true"' if error else ''

    def part(name, label, size, hint):
        return (f'<div class="date-part"><label for="{name}">{label}</label>'
            f'<input id="{name}" name="{name}" inputmode="numeric" '
            f'autocomplete="bday-{name}" size="{size}" '
            f'value="{esc(values.get(name, ""))}" '
            f'aria-describedby="{name}-hint{" form-error" if error else ""}"'
            f'{invalid}>'
            f'<span class="hint" id="{name}-hint">{hint}</span></div>')
    return f'''<fieldset>
<legend>生年月日</legend>
<div class="date">
{part('year', '年（西暦）', 4, '例：1950')}
{part('month', '月', 2, '例：4')}
{part('day', '日', 2, '例：1')}
</div>
</fieldset>'''


def link(error=None, values=None, message=None):
    "Linking a card: number, birth date and the linking code."
    values = values or {}
    body = f'''{alert(error)}{note(message)}
<p>ポイントを見たり使ったりするには、このアカウントにカードをつなぎます。カードの番号、生年月日と、連携コードを入力してください。</p>
<form method="post" action="link" class="form">
{field('number', 'カード番号または利用者番号', values.get('number', ''),
        hint="QRカードの16桁の番号、またはお知らせに書かれた利用者番号（H から始まる番号）です。",
        error=bool(error))}
{_date_fields(values, bool(error))}
{field('code', '連携コード（12文字）', values.get('code', ''),
        hint="カードと一緒に届いたお知らせ、または窓口でお渡しした紙に書かれています。例：ABCD-EFGH-JKLM",
        error=bool(error))}
<button type="submit">カードをつなぐ</button>
</form>
<h2>連携コードがお手元にない方</h2>
<p>登録の住所に、連携コードを郵便でお送りします（窓口でもお渡しできます）。</p>
<form method="post" action="link/request" class="form">
{field('request-number', 'カード番号または利用者番号', '')}
<button type="submit" class="secondary-button">郵便で連携コードを申し込む</button>
</form>'''
    return layout("カードをつなぐ", body, signed_in=True, error=bool(error))


def account(web_user, holder, sessions, current, passkeys, message=None):
    "The account page: passkeys, sessions, signing out everywhere."
    rows = ''.join(
        f'<tr><td>{esc(s.device or "")}'
        f'{"（この端末）" if s.id == current else ""}</td>'
        f'<td>{clock.city_time(s.last_used_at).strftime("%Y/%m/%d %H:%M")}'
        '</td></tr>'
        for s in sessions)
    keys = ''.join(f'<li>{esc(p.device or "パスキー")}</li>'
        for p in passkeys) or '<li>まだありません。</li>'
    card = (f'<p>つながっているカード：利用者番号 {esc(holder.number or "")}</p>'
        if holder else '<p><a href="link">カードをつなぐ</a></p>')
    body = f'''{note(message)}
<p>メールアドレス：{esc(web_user.email)}</p>
{card}
<h2>パスキー（指紋・顔認証）</h2>
<p>パスキーを登録すると、次からはパスワードなしで、指紋や顔でログインできます。</p>
<ul>{keys}</ul>
{passkey_button('register', 'この端末をパスキーに登録する')}
<h2>ログイン中の端末</h2>
<table><caption>ログイン中の端末と最後に使った日時</caption>
<thead><tr><th scope="col">端末</th><th scope="col">最後に使った日時</th></tr></thead>
<tbody>{rows}</tbody></table>
<form method="post" action="sign-out-everywhere">
<p>すべての端末からログアウトすると、登録したパスキーも削除されます。</p>
<button type="submit">すべての端末からログアウトする</button>
</form>
<a class="button secondary" href="./">マイページに戻る</a>'''
    return layout("アカウントの設定", body, signed_in=True,
        script='passkey.js')
