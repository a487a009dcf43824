"""Our modules use one another through public names only (issue 12).

A name with a leading underscore is its module's own business, free to
change; what another module may rely on is public and documented as such
(the store module's hooks for the programme module, for example). So no
file of a module, its tests included, imports such a name from another of
our modules, nor reads one through what it imported from there: as an
attribute however deep (`pos.routes._credential`, also written out in
full from `trytond`) or with getattr and a literal name."""
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
        return private_uses_in(f.read(), package, ours)


def private_uses_in(source, package, ours):
    """(line, name) of each private name of another of ours that source,
    a file of package (a list of names), uses."""
    tree = ast.parse(source)
    # What each name bound by an import stands for, as a dotted path, and
    # each path imported.
    bound, imported = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                path = alias.name.split('.')
                if alias.asname:
                    bound[alias.asname] = path
                else:  # "import a.b.c" binds a
                    bound[path[0]] = path[:1]
                imported.append((node.lineno, path))
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) + 1 - node.level] if node.level \
                else []
            base += node.module.split('.') if node.module else []
            for alias in node.names:
                bound[alias.asname or alias.name] = base + [alias.name]
                imported.append((node.lineno, base + [alias.name]))

    def private(path):
        "path up to its first private part, if it is another's of ours."
        if (path[:2] != ['trytond', 'modules'] or len(path) < 4
                or path[2] not in ours or path[2] == package[2]):
            return None
        for i, part in enumerate(path[3:], 3):
            if part.startswith('_') and not part.startswith('__'):
                return '.'.join(path[:i + 1])

    uses = {(line, private(path)) for line, path in imported
        if private(path)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            path = dotted(node, bound)
        elif (isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == 'getattr' and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)):
            path = dotted(node.args[0], bound)
            path = path and path + [node.args[1].value]
        else:
            continue
        name = path and private(path)
        if name:
            uses.add((node.lineno, name))
    return sorted(uses)


def dotted(node, bound):
    "The dotted path that the expression node names, else None."
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in bound:
        return bound[node.id] + attributes
    return None


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

    def uses(self, source):
        "What source, a file of the programme module, uses of the store's."
        return [name for _, name in private_uses_in(source,
                ['trytond', 'modules', 'hirakata_points_programme'],
                {'hirakata_points_pos', 'hirakata_points_programme'})]

    def test_private_names_found_however_they_are_reached(self):
        for source, name in [
                ("from trytond.modules.hirakata_points_pos.routes import "
                    "_credential",
                    'routes._credential'),
                ("from trytond.modules.hirakata_points_pos import routes\n"
                    "routes._credential(request)",
                    'routes._credential'),
                ("from trytond.modules import hirakata_points_pos\n"
                    "hirakata_points_pos.routes._credential(request)",
                    'routes._credential'),
                ("import trytond.modules.hirakata_points_pos.routes\n"
                    "trytond.modules.hirakata_points_pos.routes._read_body(\n"
                    "    pool, request)",
                    'routes._read_body'),
                ("import trytond.modules.hirakata_points_pos.routes as r\n"
                    "r._CardQueue.__init__",
                    'routes._CardQueue'),
                ("from trytond.modules.hirakata_points_pos import routes\n"
                    "getattr(routes, '_translated')(pool, 'malformed')",
                    'routes._translated'),
                ]:
            with self.subTest(source=source):
                self.assertEqual(self.uses(source),
                    ['trytond.modules.hirakata_points_pos.' + name])

    def test_public_names_and_a_module_own_are_not_private_uses(self):
        self.assertEqual(self.uses(
                "import os\n"
                "from trytond.modules.hirakata_points_pos import routes\n"
                "from trytond.modules import hirakata_points_pos\n"
                "from . import api\n"
                "from .api import _session\n"
                "routes.endpoint, routes.__file__, os._exit\n"
                "hirakata_points_pos.terminal_app.add_folder\n"
                "api._participation, getattr(api, '_session')\n"
                "getattr(routes, name)\n"), [])
