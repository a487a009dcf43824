"""Japanese for Tryton's own modules, which ship none.

Our catalogues (locale/tryton/<module>/ja.po) are imported under the module
they translate whenever this module's own Japanese is loaded: when the
database is set up or updated with Japanese, and by the language's "load
translations" button. Not from trytond's own folders: a new database has
no Japanese language until this module creates it, and Tryton's modules
are loaded before ours."""
import glob
import os

from trytond.pool import Pool, PoolMeta

CATALOGUES = os.path.join(os.path.dirname(__file__), 'locale', 'tryton')


def catalogues(lang):
    "{module: po file} of Tryton's modules we translate into lang."
    return {os.path.basename(os.path.dirname(path)): path
        for path in glob.glob(os.path.join(CATALOGUES, '*', lang + '.po'))}


class Translation(metaclass=PoolMeta):
    __name__ = 'ir.translation'

    @classmethod
    def translation_import(cls, lang, module, po_path):
        result = super().translation_import(lang, module, po_path)
        if module == 'hirakata_points':
            Module = Pool().get('ir.module')
            activated = {m.name for m in Module.search(
                    [('state', '=', 'activated')])} | {'ir', 'res'}
            for name, path in catalogues(lang).items():
                if name in activated:
                    super().translation_import(lang, name, [path])
        return result
