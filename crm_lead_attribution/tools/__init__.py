# Pure helpers: no import of odoo here, so that tests/ can load them alone.
from . import attribution_policy
from . import pool_policy
