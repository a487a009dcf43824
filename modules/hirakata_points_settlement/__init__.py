# The models are registered in tryton.cfg.
