"""Load demo data: users for each role, districts, a few hundred holders
with cards and a year of grants, redemptions, reversals and expiries.

Usage: .venv/bin/python scripts/demo_data.py -d DATABASE [--holders N]
(TRYTOND_CONFIG names the configuration, as for trytond-admin).
"""
import argparse
import datetime as dt
import random
import uuid

from trytond import config

ROLES = [
    # login, name, groups
    ('operator', "事務局 担当", ['group_operator']),
    ('city', "市 担当課職員", ['group_city_staff']),
    ('approver', "市 承認者", ['group_city_approver']),
    ('accountant', "経理 担当", ['group_accountant']),
    ('auditor', "監査 担当", ['group_auditor']),
    ]
STORES = [
    # name, category, yen per point, benefit
    ("ひらかた青果店", "食料品", 100, "カード提示で野菜1品10%引き"),
    ("くずは書店", "書籍・文具", 200, "カード提示でしおりをプレゼント"),
    ("牧野薬局", "医薬品・日用品", 100, ""),
    ("津田カフェ", "飲食", 100, "カード提示でコーヒー50円引き"),
    ("香里ヶ丘クリーニング", "サービス", 100, ""),
    ]
DISTRICTS = ["枚方", "枚方第二", "香里", "開成", "樟葉", "樟葉南", "蹉跎",
    "殿山第一", "牧野", "津田", "菅原", "長尾", "山之上", "桜丘", "中宮"]
FAMILY = [("山田", "ヤマダ"), ("田中", "タナカ"), ("佐藤", "サトウ"),
    ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"),
    ("吉田", "ヨシダ"), ("松本", "マツモト"), ("井上", "イノウエ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"),
    ("幸子", "サチコ"), ("健二", "ケンジ"), ("和子", "カズコ"),
    ("誠", "マコト"), ("美香", "ミカ"), ("翔太", "ショウタ"),
    ("陽菜", "ヒナ")]


def hex_id(size):
    return ''.join(random.choice('0123456789ABCDEF') for _ in range(size * 2))


def load(holders_count):
    from trytond.modules.hirakata_points import clock
    from trytond.modules.hirakata_points_programme.demo import (
        load_programmes)
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Group = pool.get('res.group')
    Lang = pool.get('ir.lang')
    Data = pool.get('ir.model.data')
    District = pool.get('hirakata.district')
    Holder = pool.get('hirakata.holder')
    Card = pool.get('hirakata.card')
    Ledger = pool.get('hirakata.point.ledger')
    Policy = pool.get('hirakata.point.expiry.policy')

    ja, = Lang.search([('code', '=', 'ja')])
    admin, = User.search([('login', '=', 'admin')])
    admin.language = ja
    admin.save()
    for login, name, groups in ROLES:
        User.create([{
                    'login': login, 'name': name, 'language': ja.id,
                    'password': login + '-demo',
                    'groups': [('add', [
                                Group(Data.get_id('hirakata_points', g)).id
                                for g in groups])],
                    }])

    districts = District.create([{'code': '%02d' % i, 'name': n + "小学校区"}
            for i, n in enumerate(DISTRICTS, 1)])
    twelve_months, = Policy.search([('kind', '=', 'months'),
            ('months', '=', 12)])
    today = Pool().get("ir.date").today()
    terminals = load_stores(districts, today)

    for i in range(holders_count):
        family, family_kana = random.choice(FAMILY)
        given, given_kana = random.choice(GIVEN)
        age = random.choice([random.randint(65, 92), random.randint(18, 64)])
        holder, = Holder.create([{
                    'name': '%s %s' % (family, given),
                    'name_kana': '%s %s' % (family_kana, given_kana),
                    'birth_date': today - dt.timedelta(
                        days=age * 365 + random.randint(0, 364)),
                    'district': random.choice(districts).id,
                    'address': "大阪府枚方市大垣内町%s丁目" % random.randint(1, 3),
                    'postal_code': '573-0027',
                    'consent': True, 'consent_date': today,
                    }])
        technology = random.choices(['felica', 'iso14443a', 'transit', 'qr'],
            [6, 2, 1, 1])[0]
        identifier = {'felica': hex_id(8), 'transit': hex_id(8),
            'iso14443a': hex_id(7), 'qr': None}[technology]
        card, = Card.create([{'holder': holder.id, 'technology': technology,
                    'identifier': identifier}])
        account = holder.account
        granted = []
        for _ in range(random.randint(1, 6)):
            # (programmes grant at venues: their demo participations)
            granted.append(today - dt.timedelta(days=random.randint(0, 420)))
            Ledger.grant(account, random.choice([10, 20, 50, 100, 300]),
                key=uuid.uuid4().hex, channel='terminal',
                origin=random.choice(terminals),
                policy=twelve_months, date=granted[-1])
        available = account.__class__(account.id).available
        if available and random.random() < 0.6:
            # Spent some day after the last grant: the settled months have
            # uses, so the operator owes stores money (the Zengin file).
            day = max(granted) + dt.timedelta(
                days=random.randint(0, (today - max(granted)).days))
            with clock.frozen(dt.datetime.combine(day, dt.time(12),
                        tzinfo=clock.city_timezone())):
                redemption = Ledger.redeem(account,
                    random.randint(1, available), key=uuid.uuid4().hex,
                    channel='terminal', origin=random.choice(terminals))
                if random.random() < 0.1:
                    Ledger.reverse(redemption, key=uuid.uuid4().hex,
                        channel='backoffice', reason="レジでの入力誤り")
        if random.random() < 0.03:
            card.reissue_to('felica', hex_id(8), 'lost')
    venue_session = load_programmes(today)
    load_city_terminals(venue_session)
    load_distribution(districts, today)
    load_portal_resident(districts, terminals, twelve_months, today)
    expired = Ledger.expire_due(commit_chunks=False)
    backdate_entries(today)
    return expired


def activated(module):
    from trytond.pool import Pool
    Module = Pool().get('ir.module')
    return bool(Module.search([('name', '=', module),
                ('state', '=', 'activated')]))


def backdate_entries(today):
    """The history was booked in one minute: give each past entry a time
    of its business day, in opening hours of Hirakata, as if booked then.
    Only on SQLite: on PostgreSQL the ledger guard refuses any change to a
    booked entry, as it should."""
    from trytond import backend
    from trytond.modules.hirakata_points import clock
    from trytond.transaction import Transaction
    if backend.name != 'sqlite':
        return
    cursor = Transaction().connection.cursor()
    cursor.execute('SELECT id, date FROM hirakata_point_entry '
        'WHERE date < ?', (today,))
    for entry_id, date in cursor.fetchall():
        opening = dt.datetime.combine(dt.date.fromisoformat(str(date)),
            dt.time(9), tzinfo=clock.city_timezone())
        booked = opening + dt.timedelta(seconds=random.randint(0, 36000))
        cursor.execute('UPDATE hirakata_point_entry SET create_date = ? '
            'WHERE id = ?', (booked.astimezone(dt.timezone.utc).replace(
                    tzinfo=None), entry_id))


def load_portal_resident(districts, terminals, policy, today):
    "A resident to try the portal with (sign-in printed)."
    from trytond.pool import Pool
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Card = pool.get('hirakata.card')
    Ledger = pool.get('hirakata.point.ledger')
    holder, = Holder.create([{'name': "枚方 花子", 'name_kana': "ヒラカタ ハナコ",
                'birth_date': dt.date(1948, 4, 1),
                'district': districts[0].id, 'postal_code': '573-0027',
                'address': "大阪府枚方市大垣内町2丁目",
                'consent': True, 'consent_date': today}])
    card, = Card.create([{'holder': holder.id, 'technology': 'qr'}])
    for days, points in [(300, 120), (40, 80), (3, 35)]:
        Ledger.grant(holder.account, points, key=uuid.uuid4().hex,
            channel='terminal', origin=terminals[days % len(terminals)],
            policy=policy, date=today - dt.timedelta(days=days))
    Ledger.redeem(holder.account, 50, key=uuid.uuid4().hex,
        channel='terminal', origin=terminals[0])
    # Her web account, her card already linked (passkeys can be added on
    # the portal's account page).
    WebUser = pool.get('web.user')
    WebUser.create([{'email': 'hanako@example.jp', 'password': 'hanako-demo',
                'email_valid': True, 'holder': holder.id}])
    print("portal sign-in: hanako@example.jp, password hanako-demo (%s, %s)"
        % (holder.name, holder.number))
    # A second resident without a web account, to try linking a card.
    other, = Holder.create([{'name': "枚方 一郎", 'name_kana': "ヒラカタ イチロウ",
                'birth_date': dt.date(1950, 6, 15),
                'district': districts[0].id, 'postal_code': '573-0027',
                'address': "大阪府枚方市大垣内町3丁目",
                'consent': True, 'consent_date': today}])
    other_card, = Card.create([{'holder': other.id, 'technology': 'qr'}])
    code = pool.get('hirakata.portal.link_code').issue([other], 'desk')[
        other.id]
    print("portal card to link: QR card %s, birth date 1950/06/15, "
        "linking code %s (%s)" % (other_card.identifier, code, other.name))


def load_distribution(districts, today):
    "Residents aged 75 and over without a card, mailed a QR card."
    from trytond.pool import Pool
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Distribution = pool.get('hirakata.card.distribution')
    Line = pool.get('hirakata.card.distribution.line')
    Holder.create([{'name': "%s %s" % (FAMILY[i][0], GIVEN[i][0]),
                'name_kana': "%s %s" % (FAMILY[i][1], GIVEN[i][1]),
                'birth_date': today - dt.timedelta(days=(76 + i) * 365),
                'district': districts[0].id, 'postal_code': '573-0027',
                'address': "大阪府枚方市大垣内町%s丁目" % (i + 1)}
            for i in range(5)])
    distribution, = Distribution.create([{
                'name': "75歳以上の方へのカード送付（%s）" % districts[0].name,
                'card_kind': 'qr', 'age_from': 75,
                'districts': [('add', [districts[0].id])]}])
    Distribution.select([distribution])
    Distribution.issue([distribution])
    Distribution.mail([distribution])
    Line.received(distribution.lines[:1])


def load_city_terminals(session):
    "A venue terminal for today's walking class and a kiosk at city hall."
    from trytond.modules.hirakata_points_programme.demo import venue_terminal
    from trytond.pool import Pool
    Terminal = Pool().get('hirakata.terminal')
    terminals = Terminal.create([
            venue_terminal(session),
            {'name': "市役所本館ロビー", 'kind': 'kiosk'},
            ])
    for terminal in terminals:
        print("terminal activation code: %s  (%s)" % (
                terminal.activation_code, terminal.name))


def load_stores(districts, today):
    "Active stores, one campaign, a terminal each (activation code printed)."
    from trytond.pool import Pool
    pool = Pool()
    Category = pool.get('hirakata.store.category')
    Store = pool.get('hirakata.store')
    Campaign = pool.get('hirakata.store.campaign')
    Terminal = pool.get('hirakata.terminal')
    User = pool.get('res.user')
    Data = pool.get('ir.model.data')
    Lang = pool.get('ir.lang')
    ja, = Lang.search([('code', '=', 'ja')])
    categories = {}
    stores = []
    for name, category, rate, benefit in STORES:
        if category not in categories:
            categories[category], = Category.create([{'name': category}])
        stores.extend(Store.create([{
                        'name': name, 'category': categories[category].id,
                        'district': random.choice(districts).id,
                        'address': "大阪府枚方市", 'opening_hours': "10:00-19:00",
                        'yen_per_point': rate, 'benefit': benefit or None,
                        }]))
    Store.approve(stores)
    Store.activate(stores)
    Campaign.create([{'store': stores[0].id, 'name': "シニア応援ダブルポイント",
                'kind': 'multiplier', 'multiplier': 2, 'min_age': 65,
                'start_date': today, 'end_date': today + dt.timedelta(days=30)}])
    User.create([{'login': 'store', 'name': "青果店 スタッフ",
                'password': 'store-demo', 'language': ja.id,
                'hirakata_store': stores[0].id,
                'groups': [('add', [Data.get_id('hirakata_points',
                                'group_store_staff')])]}])
    terminals = Terminal.create([{'name': "レジ1", 'store': s.id}
            for s in stores])
    for terminal in terminals:
        print("terminal activation code: %s  (%s %s)" % (
                terminal.activation_code, terminal.store.name, terminal.name))
    return terminals


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--holders', type=int, default=300)
    parser.add_argument('--seed', type=int, default=20261127)
    args = parser.parse_args()
    config.update_etc()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(args.database).init()
    random.seed(args.seed)
    with Transaction().start(args.database, 0) as transaction:
        expired = load(args.holders)
        settlement = activated('hirakata_points_settlement')
        transaction.commit()
    if settlement:
        from trytond.modules.hirakata_points_settlement.demo import (
            load_books_committed)
        load_books_committed(args.database)
    print("%s holders loaded, %s points expired" % (args.holders, expired))


if __name__ == '__main__':
    main()
