from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .res_partner import CORRESPONDENCE_TYPES
from .sales_segment_language import lang_selection

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
        selection=lang_selection,
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
    def _code_and_name(self, text):
        """What a user typed in a template field, as (code, name): a code typed (one word, as Business Central
        users type ``RESP``) is the code, and the name is that of its kind ("Campaign Response" for a template
        recording responses); a description typed is the name, and the code is made of it."""
        text = (text or "").strip()
        if " " not in text and len(text) <= 20:
            name = self.env._("Campaign Response") if self.env.context.get("default_campaign_response") else text
            return text, name
        return text.replace(" ", "-")[:20], text

    @api.model
    def _default_group(self):
        """The group of a template made on the fly: Responses for a response template, else Letters."""
        xmlid = (
            "sales_interaction_group_response"
            if self.env.context.get("default_campaign_response")
            else "sales_interaction_group_letter"
        )
        return self.env.ref(f"sales_campaign.{xmlid}", raise_if_not_found=False) or self.env[
            "sales.interaction.group"
        ].search([], limit=1)

    @api.model
    def default_get(self, fields_list):
        """A template made on the fly from a template field (*Create and edit*, the typed text in
        ``default_name``) is filled as ``name_create`` fills it: the typed code in the code, a group, and the
        direction of a response when it records responses."""
        values = super().default_get(fields_list)
        if "group_id" in fields_list and not values.get("group_id"):
            values["group_id"] = self._default_group().id
        typed = self.env.context.get("default_name")
        if typed and "code" in fields_list and not values.get("code"):
            values["code"], values["name"] = self._code_and_name(typed)
        if values.get("campaign_response"):
            for fname, value in self._response_defaults().items():
                if fname in fields_list and f"default_{fname}" not in self.env.context:
                    values[fname] = value
        return values

    @api.model
    def _response_defaults(self):
        """A response comes in from the contact, and is not delivered."""
        return {"information_flow": "inbound", "initiated_by": "them", "correspondence_type": False}

    @api.model
    def name_create(self, name):
        """Create a template on the fly from a template field (e.g. typing ``RESP`` on a segment).

        The typed text gives the code and the name (``_code_and_name``); from a segment recording campaign
        responses (context ``default_campaign_response``) it is an inbound response template of the Responses
        group, which the segment then takes as a response.
        """
        if not (name or "").strip():
            return super().name_create(name)
        code, label = self._code_and_name(name)
        template = self.create({"code": code, "name": label})
        return template.id, template.display_name

    def _campaign_flags(self, campaign, target, response):
        """The (campaign target, campaign response) flags of a record with this template and ``campaign``,
        whose flags are ``target`` and ``response`` now.

        No campaign, no flags. A template of that very campaign gives its own flags, as Business Central does.
        A template without a campaign brings its flags along (a response template makes a response) but
        takes none away. A template of another campaign leaves the flags as they are. Segments and
        interactions share this rule.
        """
        if not campaign:
            return False, False
        if not self:
            return target, response
        self.ensure_one()
        if self.campaign_id == campaign:
            return self.campaign_target, self.campaign_response
        if not self.campaign_id:
            return target or self.campaign_target, response or self.campaign_response
        return target, response

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
