from . import sales_segment_xlsx_export
from . import sales_interaction_letter
