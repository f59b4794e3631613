"""The add-on's contended statements: the phone identity's claim (A2), the
customer's and the rotation's row locks, a salesperson's claim slot (F2).

Two desks registering the same new phone, or the same customer, at the same
moment make one of these statements fail on purpose: under Odoo's
REPEATABLE READ isolation PostgreSQL raises a serialization failure in the
transaction that waited, and Odoo's request loop
(``odoo.service.model.retrying``) retries it with fresh data. That is the
expected way a race is settled, not a fault, but Odoo's cursor logs every
failed statement as ``odoo.sql_db: bad query`` at ERROR, which production
log alerting reports.

These statements are therefore run with the cursor's own logging off
(``log_exceptions=False``, as Odoo's cron runner and ``crm_iap_enrich`` do
for their lock statements): the failures Odoo retries are counted and
logged at INFO on this module's logger; any other database error is
logged at ERROR on ``odoo.sql_db``, exactly as the cursor would have, and
raised unchanged either way.
"""

import itertools
import logging

from psycopg2 import errorcodes

from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)
_sql_logger = logging.getLogger("odoo.sql_db")

# expected failures in this process since it started (for the INFO line)
_expected = itertools.count(1)


def execute_contended(cr, query):
    """Execute ``query`` (an ``odoo.tools.SQL``) on ``cr``, a statement that a
    concurrent transaction may make fail in the way Odoo retries; see the
    module's docstring."""
    try:
        cr.execute(query, log_exceptions=False)
    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
        _logger.info(
            "%s on a contended statement, settled by Odoo's retry (%d in this process): %s",
            errorcodes.lookup(error.pgcode),
            next(_expected),
            " ".join(query.code.split()),
        )
        raise
    except Exception as error:
        _sql_logger.error("bad query: %s\nERROR: %s", cr.query or query.code, error)
        raise
