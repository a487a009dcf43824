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
from trytond.protocols.jsonrpc import JSONEncoder, JSONRequest

logger = logging.getLogger(__name__)
MESSAGE = ("この操作は処理できませんでした。変更は保存されていません。"
    "入力を確かめて、もう一度お試しください。")


def japanese_unexpected_error(app, request, error):
    """The answer to an RPC call's error that trytond would not answer as
    the client's refusal: an unexpected one as a user error with MESSAGE
    (the client shows it as any refusal); a user error of a JSON-RPC 2.0
    client's call (its "jsonrpc" key, which trytond answers by a bad
    request) as that user error."""
    if not isinstance(request, JSONRequest):
        return None
    try:
        keys = set(request.parsed_data)
    except Exception:
        return None
    if not {'method', 'params'} <= keys:
        return None
    if isinstance(error, TrytonException):
        if keys == {'id', 'method', 'params'} or not isinstance(
                error, UserError):
            return None
        answer = error.args
    else:
        logger.error("%s answered in Japanese", request, exc_info=error)
        answer = UserError(MESSAGE).args
    # (as trytond answers a user error; built here, as trytond's protocol
    # answers a body with other keys by an exception, not a response)
    return Response(json.dumps({'id': request.parsed_data.get('id'),
                'error': answer}, cls=JSONEncoder, ensure_ascii=False),
        mimetype='application/json')


def install(app):
    "Add the handler to app (trytond's TrytondWSGI), once."
    if japanese_unexpected_error not in app.error_handlers:
        app.error_handler(japanese_unexpected_error)
