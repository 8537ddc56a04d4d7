from . import sales_segment_contacts_wizard
from . import sales_segment_save_criteria_wizard
from . import sales_segment_reuse_criteria_wizard
from . import sales_segment_log_wizard
from . import sales_campaign_activity_wizard
from . import sales_logged_segment_cancel
from . import sales_segment_go_back
from . import sales_segment_create_opportunities
