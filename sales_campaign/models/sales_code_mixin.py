from odoo import api, fields, models


class SalesCodeMixin(models.AbstractModel):
    """Code lists in the Business Central way: a short, unique, upper-case code and a translated name.

    Users may type either the code (``PURCHASE``, ``CUST``) or the name: both are searched. The name is
    what is displayed, as it is the translated, readable part.
    """

    _name = "sales.code.mixin"
    _description = "Code and Name"
    _order = "code"
    _rec_names_search = ["code", "name"]

    code = fields.Char(required=True, size=20)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "This code is already used."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("code"):
                vals["code"] = vals["code"].strip().upper()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("code"):
            vals["code"] = vals["code"].strip().upper()
        return super().write(vals)


class SalesContactCodeMixin(models.AbstractModel):
    """A code list assigned to contacts through a many2many of ``res.partner``, named ``_partner_field``."""

    _name = "sales.contact.code.mixin"
    _inherit = "sales.code.mixin"
    _description = "Contact Code List"
    _partner_field = None

    partner_count = fields.Integer(string="No. of Contacts", compute="_compute_partner_count")

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [(self._partner_field, "in", self.ids)], [self._partner_field], ["__count"]
            )
        )
        for record in self:
            record.partner_count = counts.get(record, 0)

    def action_open_partners(self):
        self.ensure_one()
        return self.env["sales.action.mixin"]._action_open_filtered(
            "sales_campaign.res_partner_action_campaign_contacts",
            [(self._partner_field, "in", self.ids)],
            name=self.display_name,
        )
