"""The programme venue's part of the terminal API, over HTTP: /venue…
under the store module's prefix, with its authentication, limits and JSON
errors (hirakata_points_pos/routes.py), described by docs/openapi.yaml."""
import os
from decimal import Decimal

from trytond.modules.hirakata_points_pos import terminal_app
from trytond.modules.hirakata_points_pos.routes import (
    PREFIX, as_terminal, endpoint, idempotency_key, json_body, parse_card)
from trytond.protocols.wrappers import with_pool
from trytond.wsgi import app

from . import api

# The venue's screen (venue.js) in the terminal web app.
terminal_app.add_folder(
    os.path.join(os.path.dirname(__file__), 'terminal_app'))


@app.route(PREFIX + '/venue', methods={'GET'})
@with_pool
@endpoint
def venue(request, pool):
    "A venue terminal's session and its running count."
    def run(terminal):
        api.require_kind(terminal, 'venue')
        return api.venue_status(terminal)
    return as_terminal(pool, request, run)


@app.route(PREFIX + '/venue/participations', methods={'POST'})
@with_pool
@endpoint(write=True)
def participate(request, pool):
    "A card tapped at a venue: participation recorded, points granted."
    data = json_body(pool, request)
    return as_terminal(pool, request, lambda terminal:
        api.record_participation(terminal, parse_card(data), _hours(data),
            idempotency_key(request)), write=True, card=data.get('card'))


def _hours(data):
    "Hours of volunteering, if the programme pays by the hour."
    value = data.get('hours')
    if value is None:
        return None
    if (not isinstance(value, (int, float)) or isinstance(value, bool)
            or not 0 < value <= 24):
        raise api.ApiError('invalid_hours')
    return Decimal(str(value)).quantize(Decimal('0.01'))
