"""The catalogue: the shipped file loads, principals are checked, roles authorised, errors name keys."""

import copy
import tomllib

import pytest

from kernel.domain.errors import Forbidden, Unauthenticated
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.edge.catalogue import CatalogueError

CAT = catalogue.load(catalogue.DEFAULT_FILE)
RAW = tomllib.loads(catalogue.DEFAULT_FILE.read_text(encoding="utf-8"))


def P(agency="commission", office="case_management", role="case_manager", user="u-1"):
    return Principal(agency, office, role, user)


def test_shipped_catalogue_has_the_agencies_and_offices_of_the_domain():
    assert {
        "commission",
        "procuratorate",
        "court",
        "organisation_department",
        "personnel_bureau",
        "finance_bureau",
        "archives",
    } <= set(CAT.agencies)
    kinds = {o.code for o in CAT.offices.values() if o.agency == "commission"}
    assert {
        "case_management",
        "complaints",
        "supervision_1",
        "investigation_1",
        "trial_review",
        "resident_group_1",
        "leadership",
    } <= kinds


@pytest.mark.parametrize(
    "principal,problem",
    [
        (P(agency="police"), "unknown agency"),
        (P(office="canteen"), "unknown office"),
        (P(agency="court", office="case_management"), "unknown office"),  # office of another agency
        (P(role="janitor"), "unknown role"),
        (P(role="commission_head"), "unknown role"),  # real role, wrong office
        (P(office="system", role="system", user="u-1"), "system"),  # system role, human user
        (P(user="system:relay"), "system"),  # human role, system user
    ],
)
def test_uncatalogued_principals_are_unauthenticated(principal, problem):
    with pytest.raises(Unauthenticated, match=problem):
        CAT.check_principal(principal)


def test_system_principal_is_catalogued():
    assert CAT.check_principal(Principal.system("timers")).user == "system:timers"


@pytest.mark.parametrize(
    "principal,operation,act,allowed",
    [
        (P(), "clues.register", "perform", True),
        (P(office="complaints", role="complaints_officer"), "clues.read_informant", "perform", True),
        (P(), "clues.read_informant", "perform", False),
        (P(), "clues.registration", "perform", True),
        (P(), "clues.registration", "approve", False),  # proposer is not approver
        (P(office="leadership", role="commission_head"), "clues.registration", "approve", True),
        (P(office="leadership", role="commission_head"), "clues.registration", "perform", False),
        (
            P(agency="party_committee", office="committee_leadership", role="party_committee_head"),
            "cases.filing",
            "approve",
            True,
        ),
        (P(agency="procuratorate", office="prosecution_intake", role="partner_system"), "clues.read", "perform", False),
        (
            P(agency="procuratorate", office="prosecution_intake", role="partner_system"),
            "control.clock.read",
            "perform",
            True,
        ),
        (P(), "control.clock.set", "perform", False),
        (P(office="platform_operations", role="platform_operator"), "control.clock.set", "perform", True),
        (P(), "audit.read", "approve", False),  # no approval step at all
    ],
)
def test_who_may_perform_or_approve(principal, operation, act, allowed):
    assert CAT.may(principal, operation, act) is allowed
    if not allowed:
        with pytest.raises(Forbidden, match=operation):
            CAT.authorize(principal, operation, act)


def test_unknown_operation_is_a_programming_error():
    with pytest.raises(LookupError):
        CAT.may(P(), "clues.teleport")


def _broken(path, value):
    data = copy.deepcopy(RAW)
    *parents, last = path
    node = data
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    "path,value,named",
    [
        (("schema_version",), 2, "schema_version"),
        (("offices", "complaints", "agency"), "nowhere", "offices.complaints.agency"),
        (("offices", "complaints", "roles"), ["ghost"], "offices.complaints.roles"),
        (("offices", "complaints", "roles"), [], "offices.complaints.roles"),
        (("operations", "clues.register", "perform"), ["ghost"], "operations.clues.register.perform"),
        (("operations", "clues.register", "approve"), ["ghost"], "operations.clues.register.approve"),
        (("roles", "auditor", "name"), None, "roles.auditor.name"),
        (("agencies",), None, "agencies"),
        (("roles", "auditor"), "not a table", "roles.auditor"),
    ],
)
def test_a_broken_catalogue_names_the_key(path, value, named):
    with pytest.raises(CatalogueError, match=named.replace(".", r"\.")):
        catalogue.parse(_broken(path, value), "cat.toml")


def test_every_operation_a_servicer_checks_is_catalogued():
    from kernel.edge.control import ControlServicer
    from services.audit.adapters.grpc_servicer import AuditServicer
    from services.clues.adapters.grpc_servicer import ClueServicer
    from services.sanctions.adapters.grpc_servicer import SanctionServicer

    operations = {
        m.operation
        for cls in (ClueServicer, AuditServicer, ControlServicer, SanctionServicer)
        for m in vars(cls).values()
        if hasattr(m, "operation")
    }
    assert operations and operations <= set(CAT.operations)
