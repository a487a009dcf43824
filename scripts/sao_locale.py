"""Build sao's catalogues from ours: sao_locale/<lang>.po ->
node_modules/tryton-sao/locale/<lang>.json, in the "raw" format sao's own
build (grunt po2json) gives its shipped locales: {msgid: [plural or null,
msgstr, ...]} with the lower-cased headers under "". And sao_locale/custom.js
becomes sao's custom.js (texts sao 8.0 forgets to translate). Run by
scripts/install."""
import glob
import json
import os
import shutil
import sys

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, 'sao_locale')
TARGET = os.path.join(ROOT, 'node_modules', 'tryton-sao', 'locale')


def catalogue(po_path):
    po = polib.pofile(po_path)
    data = {'': {k.lower(): v for k, v in po.metadata.items()}}
    for entry in po:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[i]
                for i in sorted(entry.msgstr_plural)]
            data[entry.msgid] = [entry.msgid_plural] + forms
        else:
            data[entry.msgid] = [None, entry.msgstr]
    return data


def main():
    if not os.path.isdir(TARGET):
        sys.exit("no sao in %s: run scripts/install first" % TARGET)
    for po_path in glob.glob(os.path.join(SOURCE, '*.po')):
        lang = os.path.splitext(os.path.basename(po_path))[0]
        with open(os.path.join(TARGET, lang + '.json'), 'w',
                encoding='utf-8') as out:
            json.dump(catalogue(po_path), out, ensure_ascii=False)
    shutil.copyfile(os.path.join(SOURCE, 'custom.js'),
        os.path.join(os.path.dirname(TARGET), 'custom.js'))


if __name__ == '__main__':
    main()
