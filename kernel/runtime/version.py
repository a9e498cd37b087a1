"""The platform's version (issue 28): the installed project's (`pyproject.toml`, package
`jjjc-platform`). One function, read by `jjjc --version`, each service's
`control.v1.GetStatusResponse.version` (so `jjjc status`) and the metric `jjjc_build_info`, so the
three always say the same."""

from __future__ import annotations

import importlib.metadata

PACKAGE = "jjjc-platform"
UNKNOWN = "unknown"


def platform_version() -> str:
    """The installed project's version, or `unknown` when run from a checkout never installed
    (`make install` installs it, editable)."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN
