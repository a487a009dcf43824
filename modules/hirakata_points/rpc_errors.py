"""A back-office call (JSON-RPC) that fails on something other than a
refusal the server means (a Tryton error with its message: access, a rule,
validation) answers in Japanese, without the exception's own text: what a
hostile or broken client sent (a wrong type, a missing record, a report
asked without its action) must not show it the server's internals, and a
resident or clerk never reads an English message. The call's transaction
is rolled back before this answer; the error is logged with its trace."""
import json
import logging

from werkzeug.wrappers import Response

from trytond.exceptions import TrytonException, UserError
from trytond.protocols.jsonrpc import JSONRequest

logger = logging.getLogger(__name__)
MESSAGE = ("この操作は処理できませんでした。変更は保存されていません。"
    "入力を確かめて、もう一度お試しください。")


def japanese_unexpected_error(app, request, error):
    """The answer to an RPC call's unexpected error: a user error with
    MESSAGE (the client shows it as any refusal)."""
    if isinstance(error, TrytonException) or not isinstance(
            request, JSONRequest):
        return None
    try:
        # (a JSON-RPC 2.0 client adds "jsonrpc", which trytond refuses as
        # a bad request: the host layer answers that in Japanese too)
        is_rpc = {'method', 'params'} <= set(request.parsed_data)
    except Exception:
        return None
    if not is_rpc:
        return None
    logger.error("%s answered in Japanese", request, exc_info=error)
    # (as trytond answers a user error; built here, as trytond's protocol
    # answers a body with other keys by an exception, not a response)
    return Response(json.dumps({'id': request.parsed_data.get('id'),
                'error': UserError(MESSAGE).args}, ensure_ascii=False),
        mimetype='application/json')


def install(app):
    "Add the handler to app (trytond's TrytondWSGI), once."
    if japanese_unexpected_error not in app.error_handlers:
        app.error_handler(japanese_unexpected_error)
