# The models are registered in tryton.cfg; the web surfaces' host layer
# is put in front of trytond's WSGI application on import.
from trytond.wsgi import app

from . import hosts

hosts.install(app)
