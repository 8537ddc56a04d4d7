from . import sales_segment_xlsx_export
