"""What the campaign really changed: its targets against its control group.

A log may draw a control group (``sales.logged.segment._draw_sql``): a random part of the campaign's targets,
drawn per company, that gets nothing. In the campaign period both groups live the same life but for the
campaign, so what the targets did more than the control group is what the campaign changed (the uplift).

The unit is the company (a person without a company is a company of one): the control group is drawn per
company, a company orders for all its contacts, and it counts once whatever the number of its contacts.
Targets are the companies targeted by the logs that drew a control group (the same population); a company of
the control group that the campaign targeted in another log is left out of both groups.

The intervals are 95 % confidence intervals: Newcombe's hybrid score interval (method 10, from Wilson's score
intervals) for a difference of two proportions, which behaves where Wald's does not (small groups, rates near
0), Katz's log interval for a ratio of proportions, and the normal approximation (Welch's standard error, the
delta method for the ratio) for the revenue per company.
"""

import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_date, formatLang

# The 97.5th percentile of the standard normal distribution: two-sided 95 % intervals.
Z95 = 1.959963984540054


def wilson_interval(successes, total, z=Z95):
    """Wilson's score interval of the proportion ``successes / total`` (as fractions), or None for no total."""
    if not total:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    center = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, center - half), min(1.0, center + half)


def proportion_difference(x1, n1, x2, n2, z=Z95):
    """The difference of the proportions ``x1 / n1 - x2 / n2`` with Newcombe's hybrid score interval (his
    method 10): (difference, low, high) as fractions, or None when a group is empty."""
    if not n1 or not n2:
        return None
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson_interval(x1, n1, z), wilson_interval(x2, n2, z)
    difference = p1 - p2
    return (
        difference,
        difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def proportion_ratio(x1, n1, x2, n2, z=Z95):
    """The ratio of the proportions ``(x1 / n1) / (x2 / n2)`` with Katz's log interval: (ratio, low, high), or
    None when it is not defined (a group without any success)."""
    if not (x1 and n1 and x2 and n2):
        return None
    ratio = (x1 / n1) / (x2 / n2)
    error = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return ratio, ratio * math.exp(-z * error), ratio * math.exp(z * error)


def mean_and_variance(total, squares, count):
    """Mean and sample variance of ``count`` values from their sum and the sum of their squares."""
    if not count:
        return 0.0, 0.0
    mean = total / count
    variance = max(0.0, (squares - count * mean * mean) / (count - 1)) if count > 1 else 0.0
    return mean, variance


def mean_difference(mean1, variance1, n1, mean2, variance2, n2, z=Z95):
    """The difference of two means with its normal approximation interval (Welch's standard error):
    (difference, low, high), or None when a group has fewer than two values."""
    if n1 < 2 or n2 < 2:
        return None
    difference = mean1 - mean2
    error = math.sqrt(variance1 / n1 + variance2 / n2)
    return difference, difference - z * error, difference + z * error


def mean_ratio(mean1, variance1, n1, mean2, variance2, n2, z=Z95):
    """The ratio of two positive means with its interval by the delta method on its logarithm: (ratio, low,
    high), or None when it is not defined."""
    if n1 < 2 or n2 < 2 or mean1 <= 0 or mean2 <= 0:
        return None
    ratio = mean1 / mean2
    error = math.sqrt(variance1 / (n1 * mean1 * mean1) + variance2 / (n2 * mean2 * mean2))
    return ratio, ratio * math.exp(-z * error), ratio * math.exp(z * error)


class SalesCampaign(models.Model):
    """The uplift of the campaign on its card: its targets against its control group."""

    _inherit = "sales.campaign"

    uplift_available = fields.Boolean(string="Has a Control Group", compute="_compute_uplift")
    uplift_target_count = fields.Integer(string="Target Companies", compute="_compute_uplift")
    uplift_control_count = fields.Integer(string="Control Companies", compute="_compute_uplift")
    uplift_response_difference = fields.Float(
        string="Response Uplift (Points)",
        digits=(16, 1),
        compute="_compute_uplift",
        help="Response rate of the targets minus that of the control group, in percentage points.",
    )
    uplift_order_difference = fields.Float(
        string="Order Uplift (Points)",
        digits=(16, 1),
        compute="_compute_uplift",
        help="Share of the target companies that ordered in the campaign period minus that of the control group, "
        "in percentage points.",
    )
    uplift_extra_revenue = fields.Monetary(
        string="Extra Revenue",
        currency_field="stat_currency_id",
        compute="_compute_uplift",
        help="The revenue per target company above that of the control group, times the target companies.",
    )
    uplift_html = fields.Html(
        string="What the Campaign Changed", compute="_compute_uplift", sanitize=False, exportable=False
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_uplift(self):
        with_log = self.env["sales.interaction.log"].has_access("read")
        for campaign in self:
            uplift = campaign._get_uplift() if with_log and campaign._origin.id else None
            campaign.uplift_available = bool(uplift)
            campaign.uplift_target_count = uplift["target"]["companies"] if uplift else 0
            campaign.uplift_control_count = uplift["control"]["companies"] if uplift else 0
            campaign.uplift_response_difference = (uplift["response"]["difference"] or 0.0) if uplift else 0.0
            campaign.uplift_order_difference = (uplift["order"]["difference"] or 0.0) if uplift else 0.0
            campaign.uplift_extra_revenue = uplift["extra_revenue"][0] if uplift and uplift["extra_revenue"] else 0.0
            campaign.uplift_html = campaign._uplift_html(uplift) if uplift else False

    def _uplift_period(self):
        """The campaign period the orders are counted in: the campaign's dates, else from its first log with a
        control group to today."""
        self.ensure_one()
        start = self.date_start
        if not start:
            first = self.env["sales.interaction.log"].search(
                [("campaign_id", "=", self._origin.id), ("campaign_control", "=", True)], order="date", limit=1
            )
            start = first.date.date() if first else fields.Date.context_today(self)
        return start, self.date_end or fields.Date.context_today(self)

    def _get_uplift(self):
        """The campaign's targets against its control group, or None without a control group.

        :return: {"period": (first day, last day), "target" / "control": {companies, responded, ordered,
            revenue, revenue_squares}, "response" / "order": {target, control (rates in %), difference,
            low, high (percentage points), ratio, ratio_low, ratio_high}, "revenue": the same for the revenue
            per company, "extra_revenue": (value, low, high) or None, "cost": the campaign's cost}
        """
        self.ensure_one()
        groups = self._uplift_groups()
        if not groups.get("control") or not groups.get("target"):
            return None
        target, control = groups["target"], groups["control"]
        n1, n2 = target["companies"], control["companies"]
        uplift = {"period": self._uplift_period(), "target": target, "control": control, "cost": self.stat_cost}
        for key, count in (("response", "responded"), ("order", "ordered")):
            difference = proportion_difference(target[count], n1, control[count], n2)
            ratio = proportion_ratio(target[count], n1, control[count], n2)
            uplift[key] = {
                "target": target[count] / n1 * 100,
                "control": control[count] / n2 * 100,
                "difference": difference[0] * 100 if difference else None,
                "low": difference[1] * 100 if difference else None,
                "high": difference[2] * 100 if difference else None,
                "ratio": ratio[0] if ratio else None,
                "ratio_low": ratio[1] if ratio else None,
                "ratio_high": ratio[2] if ratio else None,
            }
        mean1, variance1 = mean_and_variance(target["revenue"], target["revenue_squares"], n1)
        mean2, variance2 = mean_and_variance(control["revenue"], control["revenue_squares"], n2)
        difference = mean_difference(mean1, variance1, n1, mean2, variance2, n2)
        ratio = mean_ratio(mean1, variance1, n1, mean2, variance2, n2)
        uplift["revenue"] = {
            "target": mean1,
            "control": mean2,
            "difference": difference[0] if difference else mean1 - mean2,
            "low": difference[1] if difference else None,
            "high": difference[2] if difference else None,
            "ratio": ratio[0] if ratio else None,
            "ratio_low": ratio[1] if ratio else None,
            "ratio_high": ratio[2] if ratio else None,
        }
        uplift["extra_revenue"] = tuple(value * n1 for value in difference) if difference else None
        return uplift

    def _uplift_groups(self):
        """Per group ("target", "control"): the companies, those with a response to the campaign, those with a
        confirmed sales order in the campaign period, and the revenue of those orders (its sum and the sum of
        its squares per company), in one query.

        The revenue is converted as the campaign analysis converts it: an order at its own rate (the rate of its
        order date Odoo fixes on it) into its company's currency, and, for a campaign shared by all companies,
        into the current company's currency at the rate of the order date.
        """
        self.ensure_one()
        Log = self.env["sales.interaction.log"]
        Log.flush_model(
            [
                "campaign_id",
                "cancelled",
                "company_id",
                "company_partner_id",
                "logged_segment_id",
                "campaign_target",
                "campaign_control",
                "campaign_response",
            ]
        )
        self.env["sale.order"].flush_model(
            ["state", "company_id", "partner_id", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        companies = self.company_id or self.env.companies
        currency = self.env.company.currency_id
        Analysis = self.env["sales.campaign.analysis"]
        if self.company_id:
            conversion = SQL("1.0")
        else:
            conversion = SQL(
                "(CASE WHEN company.currency_id = %s THEN 1.0 ELSE %s / %s END)",
                currency.id,
                Analysis._rate_sql(currency.id, SQL("sale.date_order::date")),
                Analysis._rate_sql(SQL("company.currency_id"), SQL("sale.date_order::date")),
            )
        start, end = self._uplift_period()
        # SQL on the campaign's own interactions and, read only, on the orders of its companies: counts and
        # sums, the same for everyone who may read the campaign's statistics (see ``_read_statistics``).
        rows = self.env.execute_query(
            SQL(
                """WITH entries AS (
                       SELECT entry.company_partner_id AS company, entry.logged_segment_id, entry.campaign_target,
                              entry.campaign_control, entry.campaign_response
                         FROM sales_interaction_log entry
                        WHERE entry.campaign_id = %(campaign)s AND NOT entry.cancelled
                          AND entry.company_id = ANY(%(companies)s)
                   ),
                   tested AS (SELECT DISTINCT logged_segment_id FROM entries WHERE campaign_control),
                   arms AS (
                       SELECT company,
                              CASE WHEN BOOL_OR(campaign_target AND logged_segment_id IN (SELECT * FROM tested))
                                   THEN 'target'
                                   WHEN BOOL_OR(campaign_control) AND NOT BOOL_OR(campaign_target) THEN 'control'
                               END AS arm,
                              BOOL_OR(campaign_response) AS responded
                         FROM entries
                        GROUP BY company
                   ),
                   orders AS (
                       SELECT partner.commercial_partner_id AS company,
                              SUM(sale.amount_untaxed / COALESCE(NULLIF(sale.currency_rate, 0), 1) * %(conversion)s)
                                  AS revenue
                         FROM sale_order sale
                         JOIN res_partner partner ON partner.id = sale.partner_id
                         JOIN res_company company ON company.id = sale.company_id
                        WHERE sale.state = 'sale' AND sale.company_id = ANY(%(companies)s)
                          AND sale.date_order::date BETWEEN %(start)s AND %(end)s
                          AND partner.commercial_partner_id IN (SELECT company FROM arms WHERE arm IS NOT NULL)
                        GROUP BY partner.commercial_partner_id
                   )
                   SELECT arms.arm, COUNT(*), COUNT(*) FILTER (WHERE arms.responded),
                          COUNT(orders.company), COALESCE(SUM(orders.revenue), 0),
                          COALESCE(SUM(orders.revenue * orders.revenue), 0)
                     FROM arms
                     LEFT JOIN orders ON orders.company = arms.company
                    WHERE arms.arm IS NOT NULL
                    GROUP BY arms.arm""",
                campaign=self._origin.id,
                companies=companies.ids,
                conversion=conversion,
                start=start,
                end=end,
            )
        )
        return {
            arm: {
                "companies": companies_count,
                "responded": responded,
                "ordered": ordered,
                "revenue": float(revenue),
                "revenue_squares": float(squares),
            }
            for arm, companies_count, responded, ordered, revenue, squares in rows
        }

    # ------------------------------------------------------------------------------------------------
    # The card
    # ------------------------------------------------------------------------------------------------

    def _uplift_html(self, uplift):
        """The targets against the control group as the card shows them: a table, what it means for the
        campaign's cost, and how to read it, in plain words."""
        self.ensure_one()
        _ = self.env._
        currency = self.stat_currency_id

        def number(value, digits=1):
            return formatLang(self.env, value, digits=digits)

        def points(value):
            return _("%(value)s points", value=("+" if value > 0 else "") + number(value)) if value is not None else "—"

        def money(value, signed=False):
            if value is None:
                return "—"
            text = formatLang(self.env, abs(value) if signed else value, currency_obj=currency)
            return (("+" if value >= 0 else "−") + text) if signed else text

        def interval(low, high, show):
            if low is None:
                return "—"
            return _("%(low)s to %(high)s", low=show(low), high=show(high))

        def ratio(figure):
            if figure["ratio"] is None:
                return "—"
            return _(
                "%(ratio)s× (%(low)s to %(high)s)",
                ratio=number(figure["ratio"], 2),
                low=number(figure["ratio_low"], 2),
                high=number(figure["ratio_high"], 2),
            )

        def percent(value):
            return f"{number(value)} %"

        rows = [
            (
                _("Companies"),
                str(uplift["target"]["companies"]),
                str(uplift["control"]["companies"]),
                "",
                "",
                "",
            )
        ]
        for key, label in (("response", _("Responded")), ("order", _("Ordered in the campaign period"))):
            figure = uplift[key]
            rows.append(
                (
                    label,
                    percent(figure["target"]),
                    percent(figure["control"]),
                    points(figure["difference"]),
                    interval(figure["low"], figure["high"], points),
                    ratio(figure),
                )
            )
        revenue = uplift["revenue"]
        rows.append(
            (
                _("Revenue per company"),
                money(revenue["target"]),
                money(revenue["control"]),
                money(revenue["difference"], signed=True),
                interval(revenue["low"], revenue["high"], lambda value: money(value, signed=True)),
                ratio(revenue),
            )
        )
        headers = (
            "",
            _("Targets"),
            _("Control Group"),
            _("Difference"),
            _("95% Interval"),
            _("Ratio (95% Interval)"),
        )
        table = Markup(
            '<table class="table table-sm o_sales_campaign_uplift_table"><thead><tr>%s</tr></thead><tbody>%s</tbody>'
            "</table>"
        ) % (
            Markup().join(Markup("<th>%s</th>") % header for header in headers),
            Markup().join(
                Markup("<tr>%s</tr>")
                % Markup().join(
                    Markup('<td class="text-nowrap">%s</td>' if index else "<td>%s</td>") % cell
                    for index, cell in enumerate(row)
                )
                for row in rows
            ),
        )
        paragraphs = [self._uplift_verdict(uplift, money)]
        start, end = uplift["period"]
        paragraphs.append(
            _(
                "The control group is a random part of the targets, drawn per company, that got nothing from the "
                "campaign: what it did is what the targets would have done without it. The difference is what "
                "the campaign changed, from %(start)s to %(end)s; it lies in the 95%% interval with 95%% "
                "confidence. An interval that includes 0 means the difference may be chance: wait for more "
                "results, or draw a larger control group next time. Each company counts once, whatever the number "
                "of its contacts.",
                start=format_date(self.env, start),
                end=format_date(self.env, end),
            )
        )
        return table + Markup("").join(
            Markup('<p class="%s">%s</p>') % ("mb-2" if index == 0 else "text-muted small mb-0", paragraph)
            for index, paragraph in enumerate(paragraphs)
        )

    def _uplift_verdict(self, uplift, money):
        """Did the campaign pay? Its extra revenue against its cost, in one sentence."""
        extra = uplift["extra_revenue"]
        cost = uplift["cost"]
        _ = self.env._
        if not extra:
            return _("The groups are too small to tell what the campaign changed yet.")
        value, low, high = extra
        values = {"extra": money(value), "low": money(low), "high": money(high), "cost": money(cost)}
        if low > cost:
            message = _(
                "Extra revenue thanks to the campaign: %(extra)s (95%% interval: %(low)s to %(high)s), more than "
                "its cost of %(cost)s even at the low end: the campaign paid.",
                **values,
            )
        elif high < cost:
            message = _(
                "Extra revenue thanks to the campaign: %(extra)s (95%% interval: %(low)s to %(high)s), less than "
                "its cost of %(cost)s even at the high end: the campaign did not pay for itself.",
                **values,
            )
        else:
            message = _(
                "Extra revenue thanks to the campaign: %(extra)s (95%% interval: %(low)s to %(high)s), against a "
                "cost of %(cost)s: whether it paid is not certain yet.",
                **values,
            )
        return Markup("<strong>%s</strong>") % message
