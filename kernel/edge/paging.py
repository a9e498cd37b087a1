"""Page tokens of list queries: opaque to callers, bound to the list they were issued for.

A token carries the sort key of the last row returned (`after`) and the list it belongs to
(`what`, e.g. the filter as text), so a token from one list never pages another."""

from __future__ import annotations

import base64
import json

from kernel.domain.errors import Validation

MAX_PAGE = 1000


def page_size(value: int, most: int = MAX_PAGE) -> int:
    """The page size asked for (0: the largest), or Validation naming `page_size`."""
    if value > most:
        raise Validation("page_size", f"at most {most}")
    return value or most


def page_token(what: str, after: str) -> str:
    """The token of the page after sort key `after` in the list `what`."""
    return base64.urlsafe_b64encode(json.dumps({"q": what, "k": after}).encode()).decode()


def after_of(what: str, token: str) -> str:
    """The sort key a token issued for `what` carries ("" for none); Validation naming `page_token`
    for anything else."""
    if not token.strip():
        return ""
    try:
        body = json.loads(base64.urlsafe_b64decode(token.strip().encode()))
        after, issued_for = str(body["k"]), body["q"]
    except (ValueError, TypeError, KeyError) as e:
        raise Validation("page_token", "is not a token this service issued; start again without one") from e
    if issued_for != what:
        raise Validation("page_token", f"was issued for another list than {what}")
    return after
