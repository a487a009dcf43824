"""The first set-up of a production database, from a file
(config/first-setup.example.toml shows it): the school districts, the
first staff users with their access groups, the stores the city has
approved with their terminals; and the module-configuration wizard marked
done, so that the admin's first sign-in opens the back office.

Usage: .venv/bin/python scripts/first_setup.py -d DATABASE FILE
(TRYTOND_CONFIG names the configuration, as for trytond-admin). Prints
each new user's first password and each terminal's activation code, once.
Run it once: what the file names must not exist yet.
"""
import argparse
import secrets
import tomllib

from trytond import config

GROUPS = {'city_staff', 'city_approver', 'operator', 'store_staff',
    'accountant', 'auditor'}


def load(setup):
    """Create what setup (the file's tables) names; return the new users'
    passwords {login: password} and the terminals' activation codes
    [(store, terminal, code)]."""
    from trytond.pool import Pool
    pool = Pool()
    District = pool.get('hirakata.district')
    Lang = pool.get('ir.lang')
    ConfigItem = pool.get('ir.module.config_wizard.item')

    ja, = Lang.search([('code', '=', 'ja')])
    districts = {d.name: d for d in District.create([
                {'code': d['code'], 'name': d['name']}
                for d in setup.get('district', [])])}
    districts.update({d.name: d for d in District.search([])})
    stores, codes = load_stores(setup.get('store', []), districts)
    passwords = load_users(setup.get('user', []), stores, ja)
    ConfigItem.write(ConfigItem.search([('state', '!=', 'done')]),
        {'state': 'done'})
    return passwords, codes


def load_stores(rows, districts):
    from trytond.pool import Pool
    pool = Pool()
    Category = pool.get('hirakata.store.category')
    Store = pool.get('hirakata.store')
    Terminal = pool.get('hirakata.terminal')
    categories = {c.name: c for c in Category.search([])}
    stores, codes = {}, []
    for row in rows:
        if row['category'] not in categories:
            categories[row['category']], = Category.create(
                [{'name': row['category']}])
        store, = Store.create([{
                    'name': row['name'],
                    'category': categories[row['category']].id,
                    'district': districts[row['district']].id,
                    'address': row['address'],
                    'opening_hours': row.get('opening_hours'),
                    'yen_per_point': row.get('yen_per_point', 100),
                    }])
        Store.approve([store])
        Store.activate([store])
        stores[store.name] = store
        for terminal in Terminal.create([{'name': name, 'store': store.id}
                    for name in row.get('terminals', [])]):
            codes.append((store.name, terminal.name,
                    terminal.activation_code))
    return stores, codes


def load_users(rows, stores, language):
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Data = pool.get('ir.model.data')
    passwords = {}
    for row in rows:
        unknown = set(row['groups']) - GROUPS
        if unknown:
            raise ValueError("%s: unknown groups %s" % (
                    row['login'], ', '.join(sorted(unknown))))
        passwords[row['login']] = secrets.token_urlsafe(12)
        User.create([{
                    'login': row['login'], 'name': row['name'],
                    'email': row.get('email'),
                    'language': language.id,
                    'password': passwords[row['login']],
                    'hirakata_store': (stores[row['store']].id
                        if row.get('store') else None),
                    'groups': [('add', [
                                Data.get_id('hirakata_points', 'group_' + g)
                                for g in row['groups']])],
                    }])
    return passwords


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('file')
    args = parser.parse_args()
    with open(args.file, 'rb') as f:
        setup = tomllib.load(f)
    config.update_etc()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(args.database).init()
    with Transaction().start(args.database, 0) as transaction:
        passwords, codes = load(setup)
        transaction.commit()
    print("First passwords (hand each to its user, who changes it in the"
        " back office's preferences):")
    for login, password in passwords.items():
        print("  %-20s %s" % (login, password))
    print("Terminal activation codes:")
    for store, terminal, code in codes:
        print("  %s %s: %s" % (store, terminal, code))


if __name__ == '__main__':
    main()
