"""The 全銀協 (Zengin) 総合振込 transfer file: fixed-length records of 120
bytes in cp932 (Shift_JIS), each ended by CRLF, that a Japanese bank takes
to pay many accounts at once (R24).

Records: one header (データ区分 1), a data record per transfer (2), a
trailer with their count and total (8) and an end record (9). Numeric
fields are right-aligned and padded with zeros, text fields left-aligned
and padded with spaces, in the half-width katakana, upper-case letters,
digits and the few signs the banks accept (zengin_kana).

Plain Python, without the pool: the payment group and the benchmark use
it alike."""
import unicodedata
from collections import namedtuple

ENCODING = 'cp932'
RECORD_LENGTH = 120
LINE_END = b'\r\n'

# 種別コード 21 総合振込, コード区分 0 JIS (half-width kana in cp932).
TRANSFER_KIND = '21'
CODE_KIND = '0'
# 預金種目
ORDINARY, CURRENT = '1', '2'

_HALF_KANA = ''.join(chr(c) for c in range(0xFF71, 0xFF9E))  # ｱ…ﾝ
_SIGNS = '().-/ '
ALLOWED = set(_HALF_KANA + 'ﾞﾟ' + '0123456789'
    + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' + _SIGNS)

# Full-width katakana to half-width: the reverse of what NFKC does to
# half-width kana. Small kana, ヲ and old kana become the letters the banks
# use for them (ｯ → ﾂ, ｦ → ｵ); long vowels and dashes become '-', which
# the banks accept where ｰ is refused.
_TO_HALF = {unicodedata.normalize('NFKC', chr(c)): chr(c)
    for c in range(0xFF71, 0xFF9E)}
_TO_HALF.update({
        'ァ': 'ｱ', 'ィ': 'ｲ', 'ゥ': 'ｳ', 'ェ': 'ｴ', 'ォ': 'ｵ',
        'ッ': 'ﾂ', 'ャ': 'ﾔ', 'ュ': 'ﾕ', 'ョ': 'ﾖ', 'ヮ': 'ﾜ',
        'ヵ': 'ｶ', 'ヶ': 'ｹ', 'ヲ': 'ｵ', 'ヰ': 'ｲ', 'ヱ': 'ｴ',
        '\u3099': 'ﾞ', '\u309a': 'ﾟ', '゛': 'ﾞ', '゜': 'ﾟ',
        'ー': '-', '‐': '-', '−': '-', '–': '-', '—': '-', 'ｰ': '-',
        '\u3000': ' ',
        })


class ZenginError(ValueError):
    "A value the transfer file cannot hold; its message is Japanese."


def zengin_kana(text):
    """text in the Zengin character set: hiragana and full-width kana as
    half-width katakana, full-width letters and digits as half-width,
    letters upper-case; ZenginError names the first character the banks
    do not accept."""
    text = unicodedata.normalize('NFKC', text or '').upper()
    # hiragana as katakana, then voiced kana as kana and a voicing mark
    text = ''.join(chr(ord(c) + 0x60) if 'ぁ' <= c <= 'ゖ' else c
        for c in text)
    text = unicodedata.normalize('NFD', text)
    result = ''.join(_TO_HALF.get(c, c) for c in text)
    for char in result:
        if char not in ALLOWED:
            raise ZenginError(
                "「%s」は全銀協の振込データに使えない文字です"
                "（使えるのは半角カナ・英大文字・数字・「().-/」と空白）。"
                % char)
    return result


def _number(value, width, name):
    text = str(value)
    if not text.isdigit() or not text.isascii() or len(text) > width:
        raise ZenginError("%sは%d桁までの数字です：「%s」" % (
                name, width, value))
    return text.rjust(width, '0')


def _text(value, width):
    "value in the Zengin character set, cut to width and padded."
    return zengin_kana(value)[:width].ljust(width)


def _record(*fields):
    record = ''.join(fields)
    assert len(record) == RECORD_LENGTH, (len(record), record)
    return record


Consignor = namedtuple('Consignor', [
        'code',          # 依頼人コード (10 digits, given by the bank)
        'name',          # 依頼人名 (kana)
        'bank_code', 'bank_name', 'branch_code', 'branch_name',
        'deposit_type',  # '1' 普通, '2' 当座
        'account_number',
        ])

Transfer = namedtuple('Transfer', [
        'bank_code', 'bank_name', 'branch_code', 'branch_name',
        'deposit_type', 'account_number',
        'holder',        # 受取人名 (kana)
        'amount',        # whole yen
        'customer_code',  # 顧客コード1 (up to 10 digits, or '')
        ])


def header(consignor, date):
    "The header record of consignor's transfers on date (振込指定日)."
    return _record('1', TRANSFER_KIND, CODE_KIND,
        _number(consignor.code, 10, "依頼人コード"),
        _text(consignor.name, 40),
        date.strftime('%m%d'),
        _number(consignor.bank_code, 4, "仕向銀行番号"),
        _text(consignor.bank_name, 15),
        _number(consignor.branch_code, 3, "仕向支店番号"),
        _text(consignor.branch_name, 15),
        _number(consignor.deposit_type, 1, "預金種目"),
        _number(consignor.account_number, 7, "口座番号"),
        ' ' * 17)


def data(transfer):
    "The data record of a transfer."
    amount = int(transfer.amount)
    if amount != transfer.amount or amount <= 0:
        raise ZenginError("振込金額は1円以上の円単位の金額です：%s"
            % transfer.amount)
    return _record('2',
        _number(transfer.bank_code, 4, "被仕向銀行番号"),
        _text(transfer.bank_name, 15),
        _number(transfer.branch_code, 3, "被仕向支店番号"),
        _text(transfer.branch_name, 15),
        ' ' * 4,  # 手形交換所番号: not used
        _number(transfer.deposit_type, 1, "預金種目"),
        _number(transfer.account_number, 7, "口座番号"),
        _text(transfer.holder, 30),
        _number(amount, 10, "振込金額"),
        '0',  # 新規コード: 0 (その他)
        _number(transfer.customer_code or 0, 10, "顧客コード1"),
        '0' * 10,  # 顧客コード2
        '7',  # 振込指定区分: 電信
        ' ',  # 識別表示: customer codes, not EDI information
        ' ' * 7)


def trailer(count, total):
    "The trailer record: the number of data records and their total."
    return _record('8', _number(count, 6, "合計件数"),
        _number(total, 12, "合計金額"), ' ' * 101)


def end():
    return _record('9', ' ' * 119)


def transfer_file(consignor, date, transfers):
    "The file of transfers on date, as bytes."
    records = [header(consignor, date)]
    records += [data(t) for t in transfers]
    records.append(trailer(len(transfers),
            sum(int(t.amount) for t in transfers)))
    records.append(end())
    lines = []
    for record in records:
        line = record.encode(ENCODING)
        # a half-width kana is one byte in cp932: 120 characters, 120 bytes
        assert len(line) == RECORD_LENGTH
        lines.append(line + LINE_END)
    return b''.join(lines)
