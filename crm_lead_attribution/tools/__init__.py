# Pure helpers: no import of odoo here, so that tests/ can load them alone.
from . import vocabulary
from . import registration_policy
from . import pool_policy
