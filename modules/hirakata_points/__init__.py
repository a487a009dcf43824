# The models are registered in tryton.cfg; the web surfaces' host layer
# is put in front of trytond's WSGI application on import, and its calls'
# unexpected errors answered in Japanese.
from trytond.wsgi import app

from . import hosts, rpc_errors

hosts.install(app)
rpc_errors.install(app)
