"""The terminal web app (業務端末): static files served at
/<db>/hirakata/terminal/, talking to the terminal API of the same origin.

The files are in terminal_app/; nothing in them is secret. The page may
reach the card-reader bridge on the device itself (ws://127.0.0.1) and the
camera (QR codes), and nothing else.

The app's service worker (sw.js) keeps its files for offline reloads,
those of the folders other modules add (add_folder) too.
"""
import json
import os

from werkzeug.security import safe_join

from trytond.modules.hirakata_points.web import static_file
from trytond.wsgi import app

# The app's folder, then other modules' folders with the screens of the
# terminal kinds they add (add_folder).
ROOTS = [os.path.join(os.path.dirname(__file__), 'terminal_app')]
BRIDGE = 'ws://127.0.0.1:8765'
HEADERS = {
    # 'wasm-unsafe-eval': the QR decoder is WebAssembly (vendor/).
    'Content-Security-Policy': "default-src 'self'; "
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' %s; "
    "img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'" % BRIDGE,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': 'camera=(self)',
    # The app is small and changes with the server: always revalidated.
    'Cache-Control': 'no-cache',
    }
# The line of sw.js that lists the files of other modules' folders.
_MODULE_FILES_LINE = b'const MODULE_FILES = [];'


@app.route('/<database_name>/hirakata/terminal/', methods={'GET'})
@app.route('/<database_name>/hirakata/terminal/<path:filename>',
    methods={'GET'})
def terminal_file(request, database_name, filename='index.html'):
    if filename == 'sw.js':
        return _service_worker()
    root = next((r for r in ROOTS[1:]
            if os.path.isfile(safe_join(r, filename) or '')), ROOTS[0])
    return static_file(root, filename, HEADERS)


def _service_worker():
    "sw.js, with the files of other modules' folders to keep."
    response = static_file(ROOTS[0], 'sw.js', HEADERS)
    response.set_data(response.get_data().replace(_MODULE_FILES_LINE,
            b'const MODULE_FILES = %s;'
            % json.dumps(_module_files()).encode()))
    return response


def _module_files():
    "The files in the folders other modules add, as paths in the app."
    return sorted({os.path.relpath(os.path.join(folder, name), root)
            .replace(os.sep, '/')
            for root in ROOTS[1:]
            for folder, _, names in os.walk(root)
            for name in names
            if not name.startswith('.') and '__pycache__' not in folder})


def add_folder(root):
    """Serve the files in root with the app's (e.g. the screen <kind>.js),
    and have its service worker keep them for offline reloads.

    A hook for modules that add a kind of terminal, called when their
    routes are imported.
    """
    ROOTS.append(root)
