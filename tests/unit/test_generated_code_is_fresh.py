"""gen/ is produced by `make proto` only: regenerating must reproduce the committed files."""

import filecmp
from pathlib import Path

from tools.gen_proto import ROOT, generate


def _diff(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out = [*cmp.left_only, *cmp.right_only, *cmp.diff_files]
    return out + [x for sub in cmp.common_dirs for x in _diff(a / sub, b / sub)]


def test_committed_gen_matches_proto(tmp_path):
    generate(tmp_path / "gen")
    stale = _diff(ROOT / "gen", tmp_path / "gen")
    assert not stale, f"gen/ is stale, run `make proto`: {stale}"
