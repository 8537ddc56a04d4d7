import math

from odoo import Command, api, fields, models
from odoo.exceptions import UserError


def percent_of(count, share):
    """``share`` % of ``count``, rounded as PostgreSQL's ROUND rounds (half away from zero): the number of
    contacts the log's draw takes (``sales.logged.segment._draw_sql``)."""
    return math.floor(count * share / 100 + 0.5)


# What an A/B test's winner is chosen on: the best rate of its part of the test share.
AB_WINNER_SELECTIONS = [
    ("replied", "Replies"),
    ("clicked", "Clicks"),
    ("responded", "Responses"),
    ("ordered", "Sales Orders"),
    ("manual", "Chosen by Hand"),
]


class SalesSegment(models.Model):
    """A segment's versions of its text, and how they are tested (Email Marketing's A/B testing, on a segment).

    With two versions or more, the log sends each version to an equal part, drawn at random, of the test share;
    after the waiting time the version with the best rate goes to the rest of the segment. Email Marketing
    chooses on the opens, clicks and replies of its mailings; a segment's test can also choose on what the
    campaign records of its contacts afterwards: their responses and their sales orders.
    """

    _inherit = "sales.segment"

    version_ids = fields.One2many("sales.segment.version", "segment_id", string="Versions", copy=True)
    version_count = fields.Integer(string="No. of Versions", compute="_compute_version_count")
    ab_test_share = fields.Integer(
        string="Test Share (%)",
        default=20,
        help="The part of the segment, drawn at random, that receives the versions, each an equal part of it. "
        "The rest receives the winner.",
    )
    ab_test_hours = fields.Integer(
        string="Waiting Time (Hours)",
        default=24,
        help="How long after the versions left the winner is chosen and sent to the rest of the segment.",
    )
    ab_winner_selection = fields.Selection(
        AB_WINNER_SELECTIONS,
        string="Winner by",
        default="clicked",
        required=True,
        help="The rate the winner is chosen on, per e-mail or letter sent of each version. Chosen by Hand: the "
        "rest waits until you send a version from the logged segment.",
    )

    _sql_constraints = [
        (
            "ab_test_share_range",
            "CHECK(ab_test_share > 0 AND ab_test_share <= 100)",
            "The test share of an A/B test is a percentage between 1 and 100.",
        ),
        ("ab_test_hours_positive", "CHECK(ab_test_hours >= 0)", "The waiting time of an A/B test may not be negative."),
    ]

    @api.depends("version_ids")
    def _compute_version_count(self):
        for segment in self:
            segment.version_count = len(segment.version_ids)

    def _version_texts_values(self):
        """The texts a new version starts from: the segment's own (its template's bodies with the segment's
        subjects), per language."""
        self.ensure_one()
        subjects = {row.lang: row.subject for row in self.language_ids}
        bodies = {row.lang: row for row in self.template_id.language_ids}
        empty = self.env["sales.interaction.template.language"]
        return [
            Command.create(
                {
                    "lang": lang,
                    "subject": subjects.get(lang) or bodies.get(lang, empty).subject,
                    "body_html": bodies.get(lang, empty).body_html,
                }
            )
            for lang in dict.fromkeys([*subjects, *bodies])
        ]

    def _has_ab_test(self, send):
        """Whether logging this segment (with ``send``: the letters and e-mails delivered) runs an A/B test."""
        self.ensure_one()
        return bool(send and not self.campaign_response and self.version_ids)

    def _check_ab_test(self, eligible):
        """The problems that keep the versions from being tested on ``eligible`` contacts (those drawn from:
        the lines with a letter or an e-mail that are not in the control group), one sentence each."""
        self.ensure_one()
        problems = []
        versions = self.version_ids
        if len(versions) == 1:
            problems.append(
                self.env._(
                    "The segment has a single version: an A/B test needs two at least. Add a version, or delete "
                    "it to send the template's text."
                )
            )
        without_text = versions.filtered(lambda version: not version.text_ids)
        if without_text:
            problems.append(
                self.env._(
                    "These versions have no text: %(versions)s.",
                    versions=", ".join(without_text.mapped("display_name")),
                )
            )
        if len(versions) > 1 and percent_of(eligible, self.ab_test_share) < len(versions):
            problems.append(
                self.env._(
                    "A test share of %(share)s%% of %(count)s contacts is too small for %(versions)s versions: "
                    "raise the test share.",
                    share=self.ab_test_share,
                    count=eligible,
                    versions=len(versions),
                )
            )
        return problems

    def action_add_version(self):
        """A new version of the text, filled with the segment's current text (the first two at once: A and B)."""
        self.ensure_one()
        self._check_draft()
        self.env["sales.segment.version"].create(
            [{"segment_id": self.id} for _index in range(1 if self.version_ids else 2)]
        )
        return True

    def action_send_test_email(self):
        """The Send Test E-mail dialog: an e-mail of a line, to oneself, before logging."""
        self.ensure_one()
        self._check_draft()
        if not self.line_count:
            raise UserError(self.env._("Segment %(segment)s is empty: add contacts first.", segment=self.name))
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_campaign.sales_segment_test_email_action")
        action["context"] = {"default_segment_id": self.id}
        return action
