from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _lang_get

from .res_partner import CORRESPONDENCE_TYPES

INFORMATION_FLOWS = [("outbound", "Outbound"), ("inbound", "Inbound")]
INITIATORS = [("us", "Us"), ("them", "Them")]


class SalesInteractionTemplate(models.Model):
    """How an interaction is made and what it costs: a business letter, an e-mail, a meeting, a response.

    Its values are the defaults of segments and interaction log entries; its language lines hold the
    subject, body and attachments that each contact receives in its own language.
    """

    _name = "sales.interaction.template"
    _inherit = "sales.code.mixin"
    _description = "Interaction Template"
    _check_company_auto = True

    group_id = fields.Many2one("sales.interaction.group", string="Interaction Group", required=True, index=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the template between companies.")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", help="The currency of the unit cost: the company's."
    )
    unit_cost = fields.Monetary(currency_field="currency_id")
    unit_duration = fields.Float(string="Unit Duration (Min.)", digits=(16, 2))
    information_flow = fields.Selection(INFORMATION_FLOWS, default="outbound")
    initiated_by = fields.Selection(INITIATORS, default="us")
    campaign_id = fields.Many2one(
        "sales.campaign",
        check_company=True,
        help="The campaign segments take over with this template.",
    )
    campaign_target = fields.Boolean(help="Contacts of this interaction are targets of the campaign.")
    campaign_response = fields.Boolean(help="This interaction records a response to the campaign.")
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        string="Correspondence Type (Default)",
        default="email",
        help="How the interaction is delivered when the contact has no preference of its own.",
    )
    ignore_contact_correspondence_type = fields.Boolean(
        help="Always deliver with this template's correspondence type, whatever the contact prefers.",
    )
    language_ids = fields.One2many("sales.interaction.template.language", "template_id", string="Languages", copy=True)
    lang_default = fields.Selection(
        selection=_lang_get,
        string="Language (Default)",
        help="The version sent to contacts whose language has no version of its own.",
    )

    _sql_constraints = [
        ("unit_cost_positive", "CHECK(unit_cost >= 0)", "The unit cost may not be negative."),
        ("unit_duration_positive", "CHECK(unit_duration >= 0)", "The unit duration may not be negative."),
    ]

    @api.depends("company_id")
    def _compute_currency_id(self):
        for template in self:
            template.currency_id = (template.company_id or self.env.company).currency_id

    @api.constrains("lang_default", "language_ids")
    def _check_lang_default(self):
        for template in self:
            if (
                template.lang_default
                and template.language_ids
                and template.lang_default not in template.language_ids.mapped("lang")
            ):
                raise ValidationError(
                    self.env._(
                        "The default language of interaction template %(template)s must be one of its languages.",
                        template=template.display_name,
                    )
                )

    @api.model
    def name_create(self, name):
        """Create a template on the fly from a template field (e.g. typing ``RESP`` on a segment).

        A code typed (one word, as Business Central users type ``RESP``) is the code, and the name is that of
        its kind ("Campaign Response" on a segment recording responses); a description typed is the name, and
        the code is made of it. From a segment recording campaign responses (context
        ``sales_quick_create_response``) it is an inbound response template of the Responses group.
        """
        text = (name or "").strip()
        if not text:
            return super().name_create(name)
        response = self.env.context.get("sales_quick_create_response")
        group = self.env["sales.interaction.group"].browse(self.env.context.get("default_group_id")).exists()
        if not group:
            xmlid = "sales_interaction_group_response" if response else "sales_interaction_group_letter"
            group = self.env.ref(f"sales_campaign.{xmlid}", raise_if_not_found=False) or self.env[
                "sales.interaction.group"
            ].search([], limit=1)
        is_code = " " not in text and len(text) <= 20
        if is_code:
            label = self.env._("Campaign Response") if response else text
        else:
            label = text
        vals = {"code": text.replace(" ", "-")[:20], "name": label, "group_id": group.id}
        if response:
            vals.update(
                information_flow="inbound", initiated_by="them", campaign_response=True, correspondence_type=False
            )
        template = self.create(vals)
        return template.id, template.display_name

    def _get_language(self, lang, default=None):
        """The language line for ``lang``, else the one of ``default`` (a segment's default language), else the
        one of the template's default language, else the first one."""
        self.ensure_one()
        lines = self.language_ids
        for wanted in (lang, default, self.lang_default):
            line = lines.filtered(lambda line, wanted=wanted: line.lang == wanted)[:1] if wanted else lines.browse()
            if line:
                return line
        return lines[:1]
