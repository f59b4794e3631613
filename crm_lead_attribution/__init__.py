from . import models
from . import wizards


def uninstall_hook(env):
    """The ledger refuses deletion through the ORM (I1); uninstalling the
    add-on drops it with its table. Empty it first so that the users it
    points to (the demo users, say) can be removed with the add-on's data."""
    env.cr.execute("DELETE FROM crm_attribution_ledger")
