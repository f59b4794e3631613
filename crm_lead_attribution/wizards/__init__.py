from . import crm_attribution_register
from . import crm_attribution_follow_up
