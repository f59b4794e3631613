"""18.0.1.0.0 -> 18.0.1.1.0: the sweeps moved to crm.attribution.sweep, the
record rules changed (F3), claims are recorded with their claimant (F2).

The scheduled actions and record rules are ``noupdate`` data: an update of
the module leaves them as they were, so they are reloaded here as on install.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools.convert import convert_file

RELOADED = ("security/crm_lead_attribution_security.xml", "data/ir_cron_data.xml")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for path in RELOADED:
        convert_file(env, "crm_lead_attribution", path, {}, mode="init", noupdate=True)
    # F2: who took the customer, for the claim limits (before: claims, and
    # registrations of a customer nobody held by a salesperson for themselves)
    cr.execute(
        """
        UPDATE crm_attribution_ledger
           SET claimant_id = actor_id
         WHERE claimant_id IS NULL
           AND (event = 'claim'
                OR event = 'registration' AND receiver_id = actor_id
                   AND outcome IN ('expired', 'pool', 'handover'))
        """
    )
