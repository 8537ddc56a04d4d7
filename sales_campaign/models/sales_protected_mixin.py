from odoo import api, models
from odoo.exceptions import AccessError, UserError


class SalesProtectedMixin(models.AbstractModel):
    """Records users create and change, with some fields only the module's actions set.

    ``_protected_fields`` (a campaign's activation and pricelist, a segment's status, a line's step columns)
    are set by actions such as *Activate Prices*, *Log* or *Go Back*, which check the user's rights and then
    write them with ``sudo()``. A client sets them in no way Odoo offers: ``write`` refuses them, and a record
    created with another value than the field's default is refused after the fact, which covers the values
    sent, the ``default_*`` context keys and user defaults that Odoo adds after any check of the values, ``copy``
    and ``load`` (import) alike. Every relational field a client writes must point at records the user may read
    (``_check_relational_access``): a company check alone (``check_company``) does not apply record rules.
    """

    _name = "sales.protected.mixin"
    _description = "Campaign Records with Protected Fields"

    # Fields set by the module's actions only.
    _protected_fields = ()

    @api.model
    def default_get(self, fields_list):
        """Protected fields start from their own default, whatever a context key or a user default says."""
        values = super().default_get(fields_list)
        if not self.env.su:
            for fname in set(self._protected_fields) & set(values):
                field = self._fields[fname]
                if field.default:
                    values[fname] = field.convert_to_write(field.convert_to_cache(field.default(self), self), self)
                else:
                    del values[fname]
        return values

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._check_relational_access(vals)
            self._check_relational_access(
                {key[8:]: value for key, value in self.env.context.items() if key.startswith("default_")}
            )
        records = super().create(vals_list)
        if not self.env.su:
            records._check_protected_defaults()
        return records

    def write(self, vals):
        if not self.env.su:
            protected = set(self._protected_fields) & set(vals)
            if protected:
                raise UserError(self._protected_fields_message(protected))
            self._check_relational_access(vals)
        return super().write(vals)

    def _protected_fields_message(self, fnames):
        return self.env._(
            "%(model)s: %(fields)s can only be set by actions such as Activate Prices, Log or Go Back, not by hand.",
            fields=", ".join(sorted(self._fields[fname]._description_string(self.env) for fname in fnames)),
            model=self.env["ir.model"]._get(self._name).name,
        )

    def _check_protected_defaults(self):
        """The new records' protected fields hold their default: nothing the client sent set them."""
        for fname in self._protected_fields:
            field = self._fields[fname]
            default = field.convert_to_record(
                field.convert_to_cache(field.default(self) if field.default else False, self), self
            )
            if any(record[fname] != default for record in self):
                raise UserError(self._protected_fields_message([fname]))

    def _check_relational_access(self, vals):
        """The records that relational fields of ``vals`` point at must be readable by the user."""
        for fname, value in vals.items():
            field = self._fields.get(fname)
            if not field or not field.relational or field.type == "one2many" or not value:
                continue
            ids = set()
            if field.type == "many2one":
                ids = {value.id if isinstance(value, models.BaseModel) else value}
            else:
                for command in value if isinstance(value, list | tuple) else []:
                    if isinstance(command, list | tuple) and command and command[0] == 6:
                        ids.update(command[2] or ())
                    elif isinstance(command, list | tuple) and command and command[0] == 4:
                        ids.add(command[1])
                    elif isinstance(command, int):
                        ids.add(command)
            ids = {rid for rid in ids if isinstance(rid, int)}
            if not ids:
                continue
            records = self.env[field.comodel_name].browse(ids)
            try:
                if len(records.exists()) != len(records):
                    raise AccessError(field.comodel_name)
                records.check_access("read")
            except AccessError as error:
                raise UserError(
                    self.env._(
                        "%(field)s: you may only choose records you may see.",
                        field=field._description_string(self.env),
                    )
                ) from error
