"""Dossier items to their messages (`audit.v1.DossierItem`; issue 26): the domain stays free of
generated code."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from audit.v1 import integrity_pb2
from services.audit.domain.dossier import Item


def _ts(at: datetime | None) -> timestamp_pb2.Timestamp | None:
    if at is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


def item_pb(item: Item) -> integrity_pb2.DossierItem:
    """The message of one item (`running` as folded at the dossier's moment)."""
    return integrity_pb2.DossierItem(
        kind=integrity_pb2.DossierItemKind.Value(f"DOSSIER_ITEM_KIND_{item.kind}"),
        ref=item.ref,
        state=item.state,
        open=item.open,
        what=item.what,
        family=item.family,
        start=item.start,
        end=item.end,
        running=item.running,
        bars=[integrity_pb2.DossierBar(kind=b.kind, until=b.until, rule=b.rule) for b in item.bars],
        holding_office=item.holding_office,
        since=_ts(item.since),
        updated_at=_ts(item.updated_at),
        leaf_indices=list(item.leaf_indices),
    )
