"""Our modules use one another through public names only (issue 12).

A name with a leading underscore is its module's own business, free to
change; what another module may rely on is public and documented as such
(the store module's hooks for the programme module, for example). So no
file of a module, its tests included, imports such a name from another of
our modules, nor reads one through what it imported from there."""
import ast
import glob
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = os.path.join(ROOT, 'modules')


def private_uses(path, ours):
    "(line, name) of each private name of another of ours that path uses."
    # e.g. trytond.modules.hirakata_points_programme.tests
    package = ['trytond', 'modules'] + os.path.relpath(
        os.path.dirname(path), MODULES).split(os.sep)
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    uses, imported = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(alias.name.split('.'), alias.asname)
                for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) + 1 - node.level] if node.level \
                else []
            base += node.module.split('.') if node.module else []
            names = [(base + [alias.name], alias.asname or alias.name)
                for alias in node.names]
        else:
            continue
        for name, bound in names:
            if (name[:2] == ['trytond', 'modules'] and len(name) > 2
                    and name[2] in ours and name[2] != package[2]):
                imported.add(bound)
                if any(part.startswith('_') for part in name[3:]):
                    uses.append((node.lineno, '.'.join(name)))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
                and node.attr.startswith('_')
                and not node.attr.startswith('__')):
            uses.append((node.lineno, '%s.%s' % (node.value.id, node.attr)))
    return uses


class ModuleBoundariesTestCase(unittest.TestCase):

    def test_no_module_uses_private_names_of_another(self):
        ours = {os.path.basename(os.path.dirname(path))
            for path in glob.glob(os.path.join(MODULES, '*', 'tryton.cfg'))}
        self.assertIn('hirakata_points_pos', ours)
        found = []
        for module in sorted(ours):
            for path in sorted(glob.glob(os.path.join(
                            MODULES, module, '**', '*.py'), recursive=True)):
                found.extend('%s:%s %s' % (
                        os.path.relpath(path, ROOT), line, name)
                    for line, name in private_uses(path, ours))
        self.assertEqual(found, [])
