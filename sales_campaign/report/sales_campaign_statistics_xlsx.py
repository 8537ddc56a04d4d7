import io

import xlsxwriter

from odoo import api, models
from odoo.tools.misc import get_lang

FIGURES = [
    "stat_contacted_count",
    "stat_responded_count",
    "stat_response_rate",
    "stat_cost",
    "stat_duration",
    "stat_cost_per_response",
    "stat_duration_per_response",
    "stat_emailed_count",
    "stat_replied_count",
    "stat_reply_rate",
    "stat_clicked_count",
    "stat_click_rate",
    "stat_unsubscribed_count",
    "stat_unsubscribe_rate",
    "stat_reply_pending_count",
    "stat_response_reply_count",
    "stat_response_click_count",
    "stat_response_lead_count",
    "stat_response_order_count",
    "stat_response_manual_count",
    "stat_opportunity_count",
    "stat_opportunity_value",
    "stat_won_count",
    "stat_won_value",
    "stat_quotation_count",
    "stat_order_count",
    "stat_revenue",
    "stat_cost_per_won",
    "stat_return_on_cost",
]
BREAKDOWNS = ["logged_segment_id", "template_id", "user_id", "lang", "version_id"]


class SalesCampaignStatisticsXlsx(models.AbstractModel):
    """The campaign statistics as an Excel workbook.

    A sheet with the campaign figures (with the e-mails sent, replies, clicks, unsubscribes and their rates, and
    where the responses came from), then one sheet per breakdown of its interactions (by logged segment,
    template, salesperson and language) with the same counts; the segment sheet carries a chart.
    """

    _name = "sales.campaign.statistics.xlsx"
    _description = "Campaign Statistics Excel Export"

    @api.model
    def _breakdown(self, campaign, groupby):
        """Rows (label, contacted, responded, response rate, cost, duration, e-mails sent, replies, reply rate,
        clicks, click rate, unsubscribes, unsubscribe rate) of ``campaign``'s interactions.

        From the campaign figures themselves (``sales.campaign.analysis``, one query), so that the rows add up
        to the totals of the first sheet and of the campaign card.
        """
        Log = self.env["sales.interaction.log"]
        field = Log._fields[groupby]
        selection = dict(field._description_selection(self.env)) if field.type == "selection" else {}
        none_label = {
            "logged_segment_id": self.env._("Single interactions"),
            "lang": self.env._("No language"),
            "version_id": self.env._("No A/B test"),
        }.get(groupby, self.env._("None"))
        rows = []
        for _campaign, key, sums in campaign._read_statistics([groupby], [("fact_type", "=", "interaction")]):
            if groupby == "version_id" and key:
                # versions are named A, B, ... in each segment: the segment tells them apart
                label = f"{key.segment_id.name} {key.display_name}"
            else:
                label = (selection.get(key, key) if field.type == "selection" else key.display_name) or none_label
            target, response = sums["contacted_count"], sums["responded_count"]
            rate = round(response / target * 100, 1) if target else 0.0
            emailed = sums["emailed_count"]

            def per_email(count, emailed=emailed):
                return round(count / emailed * 100, 1) if emailed else 0.0

            rows.append(
                (
                    label,
                    target,
                    response,
                    rate,
                    sums["cost"],
                    sums["duration"],
                    emailed,
                    sums["replied_count"],
                    per_email(sums["replied_count"]),
                    sums["clicked_count"],
                    per_email(sums["clicked_count"]),
                    sums["unsubscribed_count"],
                    per_email(sums["unsubscribed_count"]),
                )
            )
        return sorted(rows, key=lambda row: str(row[0]))

    @api.model
    def _excel_date_format(self):
        """The user's date format (``res.lang``, strftime) as an Excel number format."""
        posix = get_lang(self.env).date_format or "%Y-%m-%d"
        directives = (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%y", "yy"), ("%B", "mmmm"), ("%b", "mmm"))
        for directive, excel in directives:
            posix = posix.replace(directive, excel)
        return posix if "%" not in posix else "yyyy-mm-dd"

    @api.model
    def _export(self, campaign):
        """The workbook of ``campaign``: (file name, content), for the user who asks (nothing is stored)."""
        campaign.ensure_one()
        campaign.check_access("read")
        _ = self.env._
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        header = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        title = workbook.add_format({"bold": True, "font_size": 14})

        sheet = workbook.add_worksheet(_("Campaign")[:31])
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 1, 20)
        sheet.write(0, 0, campaign.display_name, title)
        # The period as two dates (Excel dates, shown in the user's date format), not as text.
        day = workbook.add_format({"num_format": self._excel_date_format(), "align": "left"})
        sheet.set_column(2, 2, 20)
        sheet.write(1, 0, _("Period"), bold)
        for column, date in enumerate((campaign.date_start, campaign.date_end), start=1):
            if date:
                sheet.write_datetime(1, column, date, day)
        sheet.write(2, 0, _("Currency"), bold)
        sheet.write(2, 1, campaign.stat_currency_id.name)
        fields = campaign._fields
        for row, name in enumerate(FIGURES, start=4):
            sheet.write(row, 0, fields[name].get_description(self.env)["string"])
            sheet.write_number(row, 1, campaign[name] or 0, money if fields[name].type == "monetary" else None)

        Log = self.env["sales.interaction.log"]
        columns = [
            _("Contacted"),
            _("Responded"),
            _("Response Rate (%)"),
            _("Cost"),
            _("Duration (Min.)"),
            _("E-mails Sent"),
            _("Replies"),
            _("Reply Rate (%)"),
            _("Clicks"),
            _("Click Rate (%)"),
            _("Unsubscribes"),
            _("Unsubscribe Rate (%)"),
        ]
        # Salespeople may export the figures they see, without the breakdowns of the interaction log.
        for groupby in BREAKDOWNS if Log.has_access("read") else ():
            rows = self._breakdown(campaign, groupby)
            if groupby == "version_id" and len(rows) < 2:
                continue  # no A/B test in the campaign: a sheet of one row would say nothing
            label = Log._fields[groupby].get_description(self.env)["string"]
            breakdown = workbook.add_worksheet(_("By %(field)s", field=label)[:31])
            breakdown.set_column(0, 0, 34)
            breakdown.set_column(1, len(columns), 14)
            breakdown.write_row(0, 0, [label] + columns, header)
            for index, row in enumerate(rows, start=1):
                breakdown.write_row(index, 0, row)
            if groupby == "logged_segment_id" and rows:
                chart = workbook.add_chart({"type": "column"})
                for col in (1, 2):
                    chart.add_series(
                        {
                            "name": [breakdown.name, 0, col],
                            "categories": [breakdown.name, 1, 0, len(rows), 0],
                            "values": [breakdown.name, 1, col, len(rows), col],
                        }
                    )
                chart.set_title({"name": _("Contacted and responded per segment")})
                breakdown.insert_chart(len(rows) + 3, 0, chart)
        if Log.has_access("read") and campaign.uplift_available:
            self._write_uplift(workbook, campaign, header, money)
        workbook.close()
        return _("Statistics %(campaign)s.xlsx", campaign=campaign.number), output.getvalue()

    @api.model
    def _write_uplift(self, workbook, campaign, header, money):
        """The sheet of the control group: the targets against it, with the differences and their 95 %
        intervals (``sales.campaign._get_uplift``)."""
        _ = self.env._
        uplift = campaign._get_uplift()
        sheet = workbook.add_worksheet(_("Control Group")[:31])
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 7, 16)
        sheet.write_row(
            0,
            0,
            [
                "",
                _("Targets"),
                _("Control Group"),
                _("Difference"),
                _("95% Interval, Low"),
                _("95% Interval, High"),
                _("Ratio"),
            ],
            header,
        )
        sheet.write_row(1, 0, [_("Companies"), uplift["target"]["companies"], uplift["control"]["companies"]])
        rows = (
            (_("Responded (%)"), uplift["response"], None),
            (_("Ordered in the campaign period (%)"), uplift["order"], None),
            (_("Revenue per company"), uplift["revenue"], money),
        )
        for index, (label, figure, cell_format) in enumerate(rows, start=2):
            sheet.write(index, 0, label)
            for column, key in enumerate(("target", "control", "difference", "low", "high", "ratio"), start=1):
                if figure[key] is not None:
                    sheet.write_number(index, column, round(figure[key], 2), cell_format)
        extra = uplift["extra_revenue"]
        if extra:
            sheet.write(6, 0, _("Extra revenue"))
            sheet.write_number(6, 3, extra[0], money)
            sheet.write_number(6, 4, extra[1], money)
            sheet.write_number(6, 5, extra[2], money)
        sheet.write(7, 0, _("Cost"))
        sheet.write_number(7, 3, uplift["cost"], money)
