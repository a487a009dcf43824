# The models are registered in tryton.cfg; the portal's pages are
# registered with trytond's WSGI application on import.
from . import routes, routes_account, routes_link  # noqa: F401
