from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import content_disposition, request

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SalesCampaignExport(http.Controller):
    """Excel exports streamed as downloads, built as the user who asks: nothing is stored."""

    @staticmethod
    def _ids(text):
        try:
            ids = [int(part) for part in (text or "").split(",") if part]
        except ValueError as error:
            raise BadRequest() from error
        if not ids:
            raise BadRequest()
        return ids

    @staticmethod
    def _xlsx_response(filename, content):
        return request.make_response(
            content,
            headers=[("Content-Type", XLSX), ("Content-Disposition", content_disposition(filename))],
        )

    @http.route("/sales_campaign/export/segments", type="http", auth="user", methods=["GET"])
    def export_segments(self, ids, **kwargs):
        segments = request.env["sales.segment"].browse(self._ids(ids))
        return self._xlsx_response(*request.env["sales.segment.xlsx.export"]._export(segments))

    @http.route("/sales_campaign/export/statistics/<int:campaign_id>", type="http", auth="user", methods=["GET"])
    def export_statistics(self, campaign_id, **kwargs):
        campaign = request.env["sales.campaign"].browse(campaign_id)
        return self._xlsx_response(*request.env["sales.campaign.statistics.xlsx"]._export(campaign))
