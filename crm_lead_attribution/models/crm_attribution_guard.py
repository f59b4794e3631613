from odoo import api, models
from odoo.exceptions import ValidationError

# What a note, a reason or a statement typed into the desk may hold.
TEXT_MAX_LENGTH = 2000


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
    # text field name -> whether it is required: trimmed, bounded, no NUL
    _attribution_texts = {}
    # selection fields whose value gets a clear message when unknown
    _attribution_selections = ()

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        self._attribution_check_chosen(defaults)
        return defaults

    def onchange(self, values, field_names, fields_spec):
        self._attribution_check_chosen(values, typing=True)
        return super().onchange(values, field_names, fields_spec)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._attribution_check_chosen(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._attribution_check_chosen(vals)
        return super().write(vals)

    @api.model
    def _attribution_check_chosen(self, values, typing=False, creating=False):
        """Refuse, as the user, a guarded record they may not access (or that
        does not exist), an unknown choice, and a text that cannot be saved;
        clean the texts in ``values``."""
        for fname in self._attribution_selections:
            if values.get(fname):
                self._attribution_check_selection(fname, values[fname])
        for fname, required in self._attribution_texts.items():
            if fname in values or (creating and required):
                text = self._attribution_text(
                    values.get(fname), self._fields[fname], required=required and not typing
                )
                if not typing:
                    values[fname] = text
        if self.env.su:
            return
        for fname, mode in self._attribution_guarded.items():
            if values.get(fname):
                comodel = self.env[self._fields[fname].comodel_name]
                ids = self._attribution_ids(values[fname])
                records = comodel.browse(ids).exists()
                if len(records) != len(set(ids)):
                    label = self._fields[fname].get_description(self.env)["string"]
                    raise ValidationError(
                        self.env._("%(field)s: the record chosen does not exist.", field=label)
                    )
                records.check_access(mode)

    @api.model
    def _attribution_check_selection(self, fname, value):
        field = self._fields[fname]
        valid = [key for key, _label in field._description_selection(self.env)]
        if value not in valid:
            label = field.get_description(self.env)["string"]
            raise ValidationError(
                self.env._(
                    "“%(value)s” is not a choice for %(field)s.",
                    value=str(value)[:40],
                    field=label,
                )
            )

    @api.model
    def _attribution_ids(self, value):
        """Record ids in a many2one or x2many value as a client sends it."""
        if isinstance(value, bool):
            return []
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            # the ORM takes "51" for 51: so does the guard
            if not value.strip().isdigit():
                raise ValidationError(self.env._("“%(value)s” is not a record.", value=value[:40]))
            return [int(value)]
        if isinstance(value, dict):
            return [value["id"]] if value.get("id") else []
        if isinstance(value, models.BaseModel):
            return value.ids
        if not isinstance(value, (list, tuple)):
            return []  # a new record's id in an onchange: nothing stored to read
        ids = []
        for command in value or ():
            if isinstance(command, (int, str)) and not isinstance(command, bool):
                ids.extend(self._attribution_ids(command))
            elif isinstance(command, (list, tuple)) and command and command[0] in (1, 4):
                ids.extend(self._attribution_ids(command[1]))
            elif isinstance(command, (list, tuple)) and command and command[0] == 6:
                ids.extend(i for item in command[2] or [] for i in self._attribution_ids(item))
        return ids

    @api.model
    def _attribution_text(self, value, field, required=False):
        """A text typed by a user (a note, a reason), cleaned: trimmed, at most
        ``TEXT_MAX_LENGTH`` characters, without the NUL character the database
        refuses; a clear message otherwise (and for an empty required text)."""
        label = field.get_description(self.env)["string"]
        text = (value or "").strip() if isinstance(value, str) or not value else None
        if text is None:
            raise ValidationError(self.env._("%(field)s must be a text.", field=label))
        if "\x00" in text:
            raise ValidationError(
                self.env._("%(field)s holds a character that cannot be saved.", field=label)
            )
        if len(text) > TEXT_MAX_LENGTH:
            raise ValidationError(
                self.env._(
                    "%(field)s has %(length)s characters: at most %(max)s are kept.",
                    field=label,
                    length=len(text),
                    max=TEXT_MAX_LENGTH,
                )
            )
        if required and not text:
            raise ValidationError(self.env._("%(field)s cannot be empty.", field=label))
        return text or False
