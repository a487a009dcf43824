"""Japanese for Tryton's own modules, which ship none.

Our catalogues (locale/tryton/<module>/ja.po) are imported under the module
they translate whenever one of our modules' Japanese is loaded, for the
Tryton modules it depends on: when the
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
        if module.startswith('hirakata_points'):
            ours = catalogues(lang)
            for name in sorted(cls._tryton_dependencies(module) & set(ours)):
                super().translation_import(lang, name, [ours[name]])
        return result

    @staticmethod
    def _tryton_dependencies(module):
        """The modules module depends on, directly or not: loaded before
        it, so their texts are there to translate (a module activated
        with ours, like party for the portal, is not activated yet)."""
        Dependency = Pool().get('ir.module.dependency')
        found, todo = set(), [module]
        while todo:
            names = {d.name for d in Dependency.search(
                    [('module.name', 'in', todo)])} - found
            found |= names
            todo = list(names)
        return found | {'ir', 'res'}
