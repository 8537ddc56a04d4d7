from . import test_campaign
from . import test_partner_segmentation
from . import test_interaction_template
from . import test_security
from . import test_demo_data
