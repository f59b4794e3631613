from . import models
from . import wizards

from .const import ACTIVITY_TYPES


def uninstall_hook(env):
    """The ledger, the rotation's turns, the violations and the deal shares
    refuse deletion through the ORM (I1, G4), and they, the change requests,
    the referral reports and the prompts (E2, E6, H1 activities) point to
    users and activity
    types; uninstalling the add-on drops them with it. Empty them first so
    that what they point to (the demo users, the activity types) can be
    removed with the add-on's data."""
    env.cr.execute("DELETE FROM crm_attribution_ledger")
    env.cr.execute("DELETE FROM crm_attribution_turn")
    env.cr.execute("DELETE FROM crm_attribution_violation")
    env.cr.execute("DELETE FROM crm_attribution_change_request")
    env.cr.execute("DELETE FROM crm_attribution_share")
    env.cr.execute("DELETE FROM crm_attribution_referral")
    types = [env.ref(xmlid, raise_if_not_found=False) for xmlid in ACTIVITY_TYPES]
    type_ids = tuple(activity_type.id for activity_type in types if activity_type)
    if type_ids:
        env.cr.execute("DELETE FROM mail_activity WHERE activity_type_id IN %s", [type_ids])
