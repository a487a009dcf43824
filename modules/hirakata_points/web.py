"""Serving a module's static files (the terminal app, the portal's styles
and scripts) from trytond's WSGI application."""
import mimetypes
import os

from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

from trytond.protocols.wrappers import Response

mimetypes.add_type('application/manifest+json', '.webmanifest')
mimetypes.add_type('text/javascript', '.js')
mimetypes.add_type('application/wasm', '.wasm')


def static_file(root, filename, headers):
    "The file filename under the folder root, or 404; with headers."
    path = safe_join(root, filename)
    if path is None or not os.path.isfile(path):
        raise NotFound()
    with open(path, 'rb') as f:
        content = f.read()
    mimetype = mimetypes.guess_type(path)[0] or 'application/octet-stream'
    if mimetype.startswith('text/') or mimetype.endswith('json'):
        mimetype += '; charset=utf-8'
    return Response(content, content_type=mimetype, headers=headers)
