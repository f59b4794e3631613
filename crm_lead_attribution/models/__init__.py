from . import res_company
from . import res_config_settings
from . import res_partner
from . import crm_lead
from . import crm_attribution_identity
from . import crm_attribution_ledger
from . import mail_activity
