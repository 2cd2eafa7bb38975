"""Roles and what each may do. Pure data and decisions, no I/O.

A role is held at a unit and acts inside that unit's subtree. A capability
("people.reveal") is granted by some roles; a user's scope for a capability
is the union of the subtrees of the units where they hold such a role.
"""

from __future__ import annotations

COMMANDER = "commander"
UNIT_ADMIN = "unit_admin"
CADRE = "cadre"
GATE_STAFF = "gate_staff"
SAMPLER = "sampler"
LAB_TECHNICIAN = "lab_technician"
VACCINATOR = "vaccinator"
SCHOOL_REPORTER = "school_reporter"
INSPECTOR = "inspector"
DONATIONS_CLERK = "donations_clerk"
HOTLINE_AGENT = "hotline_agent"

ROLES = (
    COMMANDER,
    UNIT_ADMIN,
    CADRE,
    GATE_STAFF,
    SAMPLER,
    LAB_TECHNICIAN,
    VACCINATOR,
    SCHOOL_REPORTER,
    INSPECTOR,
    DONATIONS_CLERK,
    HOTLINE_AGENT,
)

ALL_ROLES = frozenset(ROLES)
OFFICE = frozenset({COMMANDER, UNIT_ADMIN, CADRE})

CAPABILITIES: dict[str, frozenset[str]] = {
    # The administrative tree is visible to every role, inside its subtree.
    "units.view": ALL_ROLES,
    "units.manage": frozenset({UNIT_ADMIN}),
    # The registry: who may find people, see them unmasked, change them.
    "people.view": OFFICE
    | {GATE_STAFF, SAMPLER, LAB_TECHNICIAN, VACCINATOR, INSPECTOR, HOTLINE_AGENT},
    "people.reveal": OFFICE,
    "people.import": frozenset({UNIT_ADMIN, CADRE}),
    "people.edit": frozenset({UNIT_ADMIN, CADRE}),
    "people.set_status": OFFICE,
    "accounts.manage": frozenset({UNIT_ADMIN}),
    "devices.manage": frozenset({UNIT_ADMIN}),
    "audit.view": frozenset({COMMANDER, UNIT_ADMIN}),
    # Domain apps.
    "checkpoints.view": OFFICE | {GATE_STAFF, INSPECTOR},
    "checkpoints.operate": frozenset({GATE_STAFF, CADRE}),
    "checkpoints.manage": frozenset({UNIT_ADMIN, CADRE}),
    "checkpoints.export_unmasked": frozenset({COMMANDER, UNIT_ADMIN}),
    "testing.view": OFFICE | {SAMPLER, LAB_TECHNICIAN},
    "testing.sample": frozenset({SAMPLER}),
    "testing.lab": frozenset({LAB_TECHNICIAN}),
    "testing.manage": frozenset({COMMANDER, UNIT_ADMIN}),
    "vaccination.view": OFFICE | {VACCINATOR},
    "vaccination.record": frozenset({VACCINATOR}),
    "vaccination.import": frozenset({VACCINATOR, UNIT_ADMIN}),
    "bulletins.view": OFFICE,
    "bulletins.issue": frozenset({COMMANDER}),
}


def roles_granting(capability: str) -> frozenset[str]:
    try:
        return CAPABILITIES[capability]
    except KeyError:
        raise KeyError(f"unknown capability {capability!r}") from None


def role_grants(role: str, capability: str) -> bool:
    return role in roles_granting(capability)
