from odoo import api, fields, models
from odoo.exceptions import UserError


class SalesSegmentSaveCriteriaWizard(models.TransientModel):
    """Save the steps of a segment under a code, to reuse them on other segments."""

    _name = "sales.segment.save.criteria.wizard"
    _description = "Save Segment Criteria"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade")
    code = fields.Char(required=True, size=20)
    description = fields.Char()

    @api.model
    def default_get(self, fields_list):
        """The description starts as the segment's: the criteria are what made it. (A ``default_description``
        in the context belongs to the screen the segment was opened from, such as the campaign's title.)"""
        values = super().default_get(fields_list)
        segment = self.env["sales.segment"].browse(values.get("segment_id")).exists()
        if segment and not segment.history_count:
            raise UserError(
                self.env._("Segment %(segment)s has no step to save as criteria yet.", segment=segment.name)
            )
        if segment and "description" in fields_list:
            values["description"] = segment.description
        return values

    def action_save(self):
        self.ensure_one()
        code = (self.code or "").strip().upper()
        if not code:
            raise UserError(self.env._("Give the criteria a code."))
        self.segment_id.check_access("read")
        steps = self.segment_id.history_ids.sorted(lambda step: (step.sequence, step.id))
        if not steps:
            raise UserError(self.env._("Segment %(segment)s has no step to save.", segment=self.segment_id.name))
        Criteria = self.env["sales.segment.criteria"]
        # sudo: codes are unique across companies; only whether the code is taken is read
        if Criteria.sudo().with_context(active_test=False).search_count([("code", "=", code)]):
            raise UserError(
                self.env._("Saved criteria with code %(code)s already exist: choose another code.", code=code)
            )
        criteria = Criteria.create(
            {
                "code": code,
                "description": self.description or self.segment_id.description,
                "company_id": self.segment_id.company_id.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": step.sequence,
                            "action": step.action,
                            "criteria": step.criteria,
                            "description": step.description,
                        },
                    )
                    for step in steps
                ],
            }
        )
        return self.segment_id._notify(
            self.env._("Criteria %(code)s saved. Steps: %(count)s.", count=len(steps), code=criteria.code)
        )
