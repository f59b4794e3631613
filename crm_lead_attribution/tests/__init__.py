from . import test_registration
from . import test_phone_identity
from . import test_follow_up
from . import test_ledger
from . import test_security
from . import test_settings
from . import test_concurrency
