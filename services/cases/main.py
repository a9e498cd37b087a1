"""Composition root of the cases service (立案审查调查): `python -m services.cases.main`.

What it runs, beside the kernel's shell (pool, migrations, store, durable timers, relay to
`cases.events.v1`, gRPC server with ControlService): the case and measure handlers on the one
command path, with the measure rules of local practice; the filing process manager following the
clues service's proposals; the clue directory following every clue's stage and holding (measures
before filing, SL 25, 41); the CaseService servicer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path

from cases.v1 import (
    person_facts_pb2,
    person_facts_pb2_grpc,
    prosecution_pb2,
    prosecution_pb2_grpc,
    service_pb2,
    service_pb2_grpc,
)
from kernel.messaging.consumer import Consumer
from kernel.runtime.platform import load_platform
from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, env_path, extend, from_env
from services.cases.adapters import mapping, translators
from services.cases.adapters.grpc_servicer import CaseServicer
from services.cases.adapters.person_facts_servicer import PersonFactsServicer
from services.cases.adapters.prosecution_servicer import ProsecutionServicer
from services.cases.app import case_index, clue_directory, measure_ledger
from services.cases.app.access import Access
from services.cases.app.filing_rules import load_filing_rules
from services.cases.app.filings import FilingOpener
from services.cases.app.handlers import CaseHandlers
from services.cases.app.investigation_rules import load_investigation_rules
from services.cases.app.measure_duty_rules import load_duty_rules
from services.cases.app.measure_rules import load_measure_rules
from services.cases.app.measure_safeguard_rules import load_safeguard_rules
from services.cases.app.prosecution_rules import load_prosecution_rules
from services.cases.app.trial_rules import load_trial_rules
from services.cases.domain.decide import DEFAULT_POLICY

SERVICE_NAMES = (
    service_pb2.DESCRIPTOR.services_by_name["CaseService"].full_name,
    prosecution_pb2.DESCRIPTOR.services_by_name["ProsecutionService"].full_name,  # issue 24 (SL 54)
    person_facts_pb2.DESCRIPTOR.services_by_name["PersonFactsService"].full_name,  # issue 24
)
MIGRATIONS = measure_ledger.MIGRATIONS + clue_directory.MIGRATIONS + case_index.MIGRATIONS


@dataclass(frozen=True)
class CasesSettings(ServiceSettings):
    """The kernel's settings and the cases service's own."""

    # The measures' approvals, limits and warning leads (CASES_MEASURE_RULES_FILE); None:
    # deploy/config/measures.toml.
    measure_rules_file: Path | None = None
    # The topic meeting's quorum (CASES_FILING_RULES_FILE); None: deploy/config/filing.toml. The
    # commission's level is the platform file's [commission].
    filing_rules_file: Path | None = None
    # The trial review's length and extensions, the standing committee's quorum
    # (CASES_TRIAL_REVIEW_FILE); None: deploy/config/trial_review.toml.
    trial_review_file: Path | None = None
    # The duties common to measures: notice deferrals, change requests, staff, recordings, custody,
    # expiry alerts (CASES_MEASURE_DUTIES_FILE); None: deploy/config/measure_duties.toml.
    measure_duties_file: Path | None = None
    # The person's safeguards: release of unrelated property, search witnesses, complaint deciders,
    # the offset's part-day (CASES_MEASURE_SAFEGUARDS_FILE); None: deploy/config/measure_safeguards.toml.
    measure_safeguards_file: Path | None = None
    # The investigation stage's time limit and warnings, local practice (CASES_INVESTIGATION_FILE;
    # issue 20); None: deploy/config/investigation.toml.
    investigation_file: Path | None = None
    # After a transfer for prosecution: supplementary investigation, its warnings, the charge
    # decision's limit, the partner agencies (CASES_PROSECUTION_FILE; issue 24); None:
    # deploy/config/prosecution.toml.
    prosecution_file: Path | None = None

    @classmethod
    def from_env(cls, env: dict | None = None) -> CasesSettings:
        return extend(
            cls,
            from_env("cases", env),
            measure_rules_file=env_path(env, "CASES_MEASURE_RULES_FILE"),
            filing_rules_file=env_path(env, "CASES_FILING_RULES_FILE"),
            trial_review_file=env_path(env, "CASES_TRIAL_REVIEW_FILE"),
            measure_duties_file=env_path(env, "CASES_MEASURE_DUTIES_FILE"),
            measure_safeguards_file=env_path(env, "CASES_MEASURE_SAFEGUARDS_FILE"),
            investigation_file=env_path(env, "CASES_INVESTIGATION_FILE"),
            prosecution_file=env_path(env, "CASES_PROSECUTION_FILE"),
        )


@dataclass
class Cases:
    """What the cases service runs beside the shell."""

    handlers: CaseHandlers
    filings: Consumer
    clue_directory: Consumer | None = None  # the clues measures may be taken on before filing (SL 25, 41)


async def build_parts(host: ServiceHost[Cases]) -> Cases:
    s: CasesSettings = host.settings
    access = Access.of(host.authenticator.catalogue)  # need to know (issue 17)
    platform = load_platform(s.platform_file)
    filing = load_filing_rules(platform.commission, s.filing_rules_file, s.platform_file)
    rules = load_measure_rules(s.measure_rules_file, filing.commission.level)  # approvals by level (SL 33, 46-48)
    rules = replace(rules, duties=load_duty_rules(s.measure_duties_file))  # SL 44, 50, 74(7); IR2025 134
    rules = replace(rules, safeguards=load_safeguard_rules(s.measure_safeguards_file))  # SL 26-28, 50 ¶4, 69
    host.log.info("cases.measure_rules", kinds=sorted(rules.kinds), level=rules.level)
    host.log.info("cases.commission", level=filing.commission.level, resident_group=filing.commission.resident_group)
    policy = load_trial_rules(s.trial_review_file, replace(DEFAULT_POLICY, filing=filing))  # Rules 55, 56
    policy = replace(policy, prosecution=load_prosecution_rules(s.prosecution_file))  # SL 54, CPL 172 (issue 24)
    handlers = CaseHandlers(host.store, policy, rules, mapping.CODEC, access)
    handlers.cases.aggregate.investigation_limits = load_investigation_rules(s.investigation_file)  # issue 20
    if kept := await measure_ledger.backfill(host.store, handlers.measures.load, rules):  # rows from before the duties
        host.log.info("cases.measure_duties_backfilled", measures=kept)
    if any(made := await case_index.backfill(host.store, handlers.cases, handlers.measures, rules)):  # issue 20
        host.log.info("cases.case_index_backfilled", cases=made[0], measures=made[1])
    host.timers.route("case", handlers.cases.fire)
    host.timers.route("measure", handlers.measures.fire)
    opener = FilingOpener(handlers, translators.from_clues)
    filings = await Consumer(s, host.pool, list(s.consumes), "filings", opener, status=host.status).start()
    directory = clue_directory.ClueDirectory(host.store, translators.from_clues_to_directory)
    clues = await Consumer(s, host.pool, list(s.consumes), "clue-directory", directory, status=host.status).start()
    return Cases(handlers, filings, clues)


def register(host: ServiceHost[Cases], parts: Cases, server) -> None:
    catalogue = host.authenticator.catalogue
    servicer = CaseServicer(parts.handlers, host.clock, catalogue.offices, catalogue.may)
    service_pb2_grpc.add_CaseServiceServicer_to_server(servicer, server)
    # the procuratorate's report-back and the commission's answers (issue 24; SL 54, IR2025 134)
    prosecution_pb2_grpc.add_ProsecutionServiceServicer_to_server(
        ProsecutionServicer(parts.handlers, host.clock), server
    )
    # person facts from their sources (issue 24): the org dept and HR report, officers read
    person_facts_pb2_grpc.add_PersonFactsServiceServicer_to_server(
        PersonFactsServicer(parts.handlers.person_facts, host.clock), server
    )


async def stop(parts: Cases) -> None:
    await parts.filings.stop()
    if parts.clue_directory is not None:
        await parts.clue_directory.stop()


def build(settings: ServiceSettings) -> ServiceHost[Cases]:
    """The service on `settings` (plain kernel settings get the cases service's defaults)."""
    own = settings if isinstance(settings, CasesSettings) else extend(CasesSettings, settings)
    return ServiceHost(own, Wiring(SERVICE_NAMES, build_parts, register, stop, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(CasesSettings.from_env())))
