# The models are registered in tryton.cfg; the venue terminal's API routes
# and its screen in the terminal web app are added on import.
from . import routes  # noqa: F401
