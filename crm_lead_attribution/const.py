"""Constants of the ORM layer, defined once: labelled selections built from
the policy's vocabulary, the one map between lead fields and the policy's
``Customer``, context keys and external ids."""

from .tools import referral_policy as rf
from .tools import rotation_policy as rot
from .tools import share_policy as sp
from .tools import vocabulary as v


def selection(codes, labels):
    """A selection list ``[(code, label)]`` in the vocabulary's order."""
    return [(code, labels[code]) for code in codes]


ATTRIBUTION_STATES = selection(v.STATES, v.STATE_LABELS)
REGISTRATION_KINDS = selection(v.REGISTRATION_KINDS, v.KIND_LABELS)
OWNERSHIP_KINDS = selection(v.OWNERSHIP_KINDS, v.KIND_LABELS)
SOURCE_CHANNELS = selection(v.SOURCE_CHANNELS, v.SOURCE_CHANNEL_LABELS)
OUTCOMES = selection(v.OUTCOMES, v.OUTCOME_LABELS)
FOLLOW_UP_KINDS = selection(v.FOLLOW_UP_KINDS, v.FOLLOW_UP_LABELS)
EVENTS = selection(v.EVENTS, v.EVENT_LABELS)
# the reception rotation (B1-B11)
MEMBER_STATUSES = selection(rot.STATUSES, rot.STATUS_LABELS)
ROTATION_ADVANCES = selection(tuple(rot.ADVANCE_LABELS), rot.ADVANCE_LABELS)
TURN_EVENTS = selection(rot.TURN_EVENTS, rot.TURN_EVENT_LABELS)
VIOLATIONS = selection(rot.VIOLATIONS, rot.VIOLATION_LABELS)
# referrals and reports (D1-D4)
REPORT_KINDS = selection(rf.REPORT_KINDS, rf.REPORT_KIND_LABELS)
REPORT_STATES = selection(rf.REPORT_STATES, rf.REPORT_STATE_LABELS)
# performance splits (G1-G4)
SHARE_KINDS = selection(sp.SHARE_KINDS, sp.SHARE_KIND_LABELS)

# The lead fields that hold a customer's attribution -> the attribute of the
# policy's ``vocabulary.Customer``: read, written and protected through this
# one map (``crm.lead._attribution_customer`` / ``_attribution_values``).
CUSTOMER_FIELDS = {
    "user_id": "owner_id",
    "attribution_state": "state",
    "attribution_protected_until": "protected_until",
    "attribution_first_receiver_id": "first_receiver_id",
    "attribution_first_contact_date": "first_contact_at",
    "attribution_owner_since": "owner_since",
    "attribution_ownership_kind": "ownership_kind",
    "attribution_visited": "visited",
    "attribution_last_follow_up": "last_follow_up_at",
    "attribution_source_channel": "source_channel",
    "attribution_handover": "handover",
    "attribution_previous_owner_id": "previous_owner_id",
    "attribution_pool_since": "pool_since",
    "attribution_reminded_until": "reminded_until",
}
# The latest decision and why (shown on the lead).
REASON_FIELDS = (
    "attribution_rule",
    "attribution_reason_message",
    "attribution_reason_args",
    "attribution_decision_date",
)
# Fields only the attribution rules set (I1): not writable through the UI or RPC.
PROTECTED_FIELDS = frozenset(
    (set(CUSTOMER_FIELDS) - {"user_id"})
    | set(REASON_FIELDS)
    | {"attribution_first_follow_up_due", "attribution_release_rule"}
)
# What a sales manager records on a deal for its shares (G2, C3).
SHARE_FIELDS = frozenset(
    ("attribution_group_lead_ids", "attribution_caller_id", "attribution_caller_after_booking")
)
# What a decision reads of a lead: the customer, and where its policy comes from.
DECISION_FIELDS = ["name", "company_id", "team_id", *CUSTOMER_FIELDS]

# Context keys.
# The attribution services write the protected fields with it (in sudo only).
WRITE_FLAG = "crm_lead_attribution_write"
# An activity marked done by the services themselves is no follow-up.
SKIP_ACTIVITY_FOLLOW_UP = "crm_lead_attribution_skip_follow_up"
# Odoo's own lead assignment runs with it and must not see the customers of
# the public pool or of the handover list (F1, F4).
EXCLUDE_OWNERLESS = "crm_lead_attribution_exclude_ownerless"

# External ids.
FIRST_FOLLOW_UP_TYPE = "crm_lead_attribution.mail_activity_type_first_follow_up"
REMINDER_TYPE = "crm_lead_attribution.mail_activity_type_protection_ending"
CHANGE_REQUEST_TYPE = "crm_lead_attribution.mail_activity_type_change_request"
ACTIVITY_TYPES = (FIRST_FOLLOW_UP_TYPE, REMINDER_TYPE, CHANGE_REQUEST_TYPE)
SALESMAN_GROUP = "sales_team.group_sale_salesman"
ALL_LEADS_GROUP = "sales_team.group_sale_salesman_all_leads"
MANAGER_GROUP = "sales_team.group_sale_manager"
RECEPTION_GROUP = "crm_lead_attribution.group_reception"
