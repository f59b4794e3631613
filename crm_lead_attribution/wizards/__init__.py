from . import crm_attribution_register
from . import crm_attribution_follow_up
from . import crm_attribution_reassign
from . import crm_attribution_give_up
from . import base_partner_merge
from . import crm_lead_lost
from . import crm_lead_to_opportunity
from . import crm_attribution_share_edit
