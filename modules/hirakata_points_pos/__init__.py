# The models are registered in tryton.cfg; the terminal API's routes and
# the terminal web app are registered with trytond's WSGI application on
# import.
from . import routes, terminal_app  # noqa: F401
