from odoo import api, models


class CrmAttributionGuard(models.AbstractModel):
    """Relational fields that must point to records the user may access (F3).

    Odoo shows the display name of a many2one as superuser and computes
    stored and related fields in sudo: a record that lets a user choose any
    lead or contact would show a hidden customer's name, phone or owner (on
    the form, in an onchange, or read back after saving). Models mixing this
    in name such fields in ``_attribution_guarded`` (field name -> access
    mode) and refuse, as the user, any value they cannot access: in defaults,
    onchanges, creation and writes.
    """

    _name = "crm.attribution.guard"
    _description = "Customer Attribution: Access Guard on Chosen Records"

    # field name -> the access the user needs on the record(s) chosen there
    _attribution_guarded = {}

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        self._attribution_check_chosen(defaults)
        return defaults

    def onchange(self, values, field_names, fields_spec):
        self._attribution_check_chosen(values)
        return super().onchange(values, field_names, fields_spec)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._attribution_check_chosen(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._attribution_check_chosen(vals)
        return super().write(vals)

    @api.model
    def _attribution_check_chosen(self, values):
        """Raise AccessError if ``values`` name a guarded record the user may not access."""
        if self.env.su:
            return
        for fname, mode in self._attribution_guarded.items():
            if values.get(fname):
                comodel = self.env[self._fields[fname].comodel_name]
                records = comodel.browse(self._attribution_ids(values[fname])).exists()
                records.check_access(mode)

    @api.model
    def _attribution_ids(self, value):
        """Record ids in a many2one or x2many value as a client sends it."""
        if isinstance(value, int):
            return [value]
        if isinstance(value, dict):
            return [value["id"]] if value.get("id") else []
        if isinstance(value, models.BaseModel):
            return value.ids
        ids = []
        for command in value or ():
            if isinstance(command, int):
                ids.append(command)
            elif isinstance(command, (list, tuple)) and command and command[0] in (1, 4):
                ids.append(command[1])
            elif isinstance(command, (list, tuple)) and command and command[0] == 6:
                ids.extend(command[2] or [])
        return ids
