from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.utils import send_file

from odoo import http
from odoo.http import Response, content_disposition, request

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SalesCampaignExport(http.Controller):
    """Excel exports streamed as downloads, built as the user who asks: nothing is stored."""

    @staticmethod
    def _ids(text):
        """The record ids of a comma-separated list, each once, in order; a bad list is a bad request."""
        try:
            ids = [int(part) for part in (text or "").split(",") if part.strip()]
        except ValueError as error:
            raise BadRequest() from error
        if not ids or not all(0 < rid < 2**31 for rid in ids):
            raise BadRequest()
        return list(dict.fromkeys(ids))

    @staticmethod
    def _xlsx_response(filename, content):
        return request.make_response(
            content,
            headers=[("Content-Type", XLSX), ("Content-Disposition", content_disposition(filename))],
        )

    @http.route("/sales_campaign/export/segments", type="http", auth="user", methods=["GET"])
    def export_segments(self, ids=None, **kwargs):
        segments = request.env["sales.segment"].browse(self._ids(ids))
        if len(segments.exists()) != len(segments):
            raise NotFound()
        filename, output = request.env["sales.segment.xlsx.export"]._export_file(segments)
        # Streamed from its temporary file, which werkzeug closes once sent (the system then deletes it): a
        # segment of a million lines is downloaded in bounded memory.
        return send_file(
            output,
            request.httprequest.environ,
            mimetype=XLSX,
            as_attachment=True,
            download_name=filename,
            conditional=False,
            response_class=Response,
        )

    @http.route("/sales_campaign/export/statistics/<int:campaign_id>", type="http", auth="user", methods=["GET"])
    def export_statistics(self, campaign_id, **kwargs):
        campaign = request.env["sales.campaign"].browse(campaign_id)
        return self._xlsx_response(*request.env["sales.campaign.statistics.xlsx"]._export(campaign))
