from . import sales_segment_wizard_mixin
from . import sales_segment_contacts_wizard
from . import sales_segment_save_criteria_wizard
from . import sales_segment_reuse_criteria_wizard
from . import sales_segment_log_wizard
from . import sales_campaign_activity_wizard
from . import sales_interaction_log_wizard
from . import sales_interaction_log_evaluation_wizard
