"""The terminal web app (業務端末): static files served at
/<db>/hirakata/terminal/, talking to the terminal API of the same origin.

The files are in terminal_app/; nothing in them is secret. The page may
reach the card-reader bridge on the device itself (ws://127.0.0.1) and the
camera (QR codes), and nothing else.
"""
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


@app.route('/<database_name>/hirakata/terminal/', methods={'GET'})
@app.route('/<database_name>/hirakata/terminal/<path:filename>',
    methods={'GET'})
def terminal_file(request, database_name, filename='index.html'):
    root = next((r for r in ROOTS[1:]
            if os.path.isfile(safe_join(r, filename) or '')), ROOTS[0])
    return static_file(root, filename, HEADERS)


def add_folder(root):
    "Serve the files in root with the app's (e.g. the screen <kind>.js)."
    ROOTS.append(root)
