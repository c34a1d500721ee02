"""Demo settings of the chain of custody: national leg time limits and compensation rules.

``load_custody_demo()`` (called by ``manage.py load_demo``) writes them through the services, as the system.
Idempotent: only missing rows are written; a row already there — perhaps changed by an administrator — is left
alone (a second run writes nothing and no audit event).

The compensation figures are PLACEHOLDERS: an administrator must check them against the Postal Law
(Luật Bưu chính 2010, Điều 41–43) and the post's published terms before relying on them."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from custody.models import CompensationRule, IncidentReason, LegLimit
from custody.services import save_compensation_rule, save_leg_limit

# leg, working days inside a province, between provinces
LEG_LIMITS = [
    (LegLimit.Leg.POST_OFFICE_TO_DESK, 1, 3),
    (LegLimit.Leg.DESK_TO_POST_OFFICE, 1, 3),
    (LegLimit.Leg.POST_OFFICE_TO_POST_OFFICE, 1, 2),
]
PLACEHOLDER = "Giá trị mẫu — cần đối chiếu Luật Bưu chính và quy định của Bưu điện / placeholder, to be checked"
# reason, postage multiple, fixed amount (đồng)
COMPENSATION = [
    (IncidentReason.LOST, Decimal("4"), 0),
    (IncidentReason.DAMAGED, Decimal("2"), 0),
    (IncidentReason.SEAL_BROKEN, Decimal("1"), 0),
    (IncidentReason.MISROUTED, Decimal("0"), 0),
]


def load_custody_demo() -> int:
    """Write the national defaults that are missing; returns how many rows were created."""
    created = 0
    with transaction.atomic():
        for leg, inside, between in LEG_LIMITS:
            for other_province, days in ((False, inside), (True, between)):
                if LegLimit.objects.filter(leg=leg, other_province=other_province, province=None).exists():
                    continue
                save_leg_limit(LegLimit(leg=leg, other_province=other_province, province=None, working_days=days))
                created += 1
        for reason, multiple, fixed in COMPENSATION:
            if CompensationRule.objects.filter(reason=reason, province=None).exists():
                continue
            save_compensation_rule(CompensationRule(reason=reason, province=None, postage_multiple=multiple,
                                                    fixed_amount=fixed, maximum_amount=None, basis=PLACEHOLDER))
            created += 1
    return created
