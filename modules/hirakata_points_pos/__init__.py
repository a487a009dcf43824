# The models are registered in tryton.cfg; the terminal API's routes are
# registered with trytond's WSGI application on import.
from . import routes  # noqa: F401
