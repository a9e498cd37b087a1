"""Who acts in the demo: one catalogued principal per role (deploy/config/catalogue.toml), each a
user id the page shows as "who". Proposer and approver are always different people (domain.md §1)."""

from __future__ import annotations

from kernel.domain.principal import Principal

CASE_MANAGER = Principal("commission", "case_management", "case_manager", "wang.fang")  # 案件监督管理室
HEAD = Principal("commission", "leadership", "commission_head", "zhang.jianguo")  # 主要负责人
DEPUTY = Principal("commission", "deputy_leadership_2", "deputy_head", "he.ping")
INSPECTOR = Principal("commission", "supervision_1", "supervisor", "li.na")  # 第一监督检查室
SUPERVISOR_2 = Principal("commission", "supervision_2", "supervisor", "sun.hao")  # 第二监督检查室
INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "liu.yang")  # 第一审查调查室
REVIEWER = Principal("commission", "trial_review", "trial_reviewer", "chen.jing")  # 案件审理室
RESIDENT = Principal("commission", "resident_group_1", "resident_officer", "huang.lei")  # 派驻纪检监察组
TOUR = Principal("commission", "inspection_tour", "tour_officer", "zhou.tao")  # 巡察办
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "zhao.min")  # 县委
SUPERIOR = Principal("superior_commission", "superior_leadership", "superior_head", "yang.guang")  # 市纪委监委
# partner agencies' systems
ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_system", "org-dept-gateway")
ARCHIVES = Principal("archives", "personnel_files", "partner_system", "archives-gateway")
PERSONNEL = Principal("personnel_bureau", "personnel_records", "partner_system", "hr-bureau-gateway")
PROCURATORATE = Principal("procuratorate", "prosecution_intake", "partner_system", "procuratorate-gateway")

# who reports an execution item done, by the item's owner agency (sanctions.toml, §4d)
REPORTERS = {p.agency: p for p in (ARCHIVES, PERSONNEL)}
# who signs off an integrity request's candidates, by liaison office (integrity.toml)
LIAISONS = {p.office: p for p in (INSPECTOR, SUPERVISOR_2)}

EVERYONE = (
    CASE_MANAGER, HEAD, DEPUTY, INSPECTOR, SUPERVISOR_2, INVESTIGATOR, REVIEWER, RESIDENT, TOUR, COMMITTEE,
    SUPERIOR, ORG_DEPT, ARCHIVES, PERSONNEL, PROCURATORATE,
)  # fmt: skip
