from . import sales_segment_xlsx_export
from . import sales_interaction_letter
from . import sales_campaign_statistics_xlsx
from . import sales_campaign_analysis
