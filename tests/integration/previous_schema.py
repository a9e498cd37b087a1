"""The DDL of the commit before numbered migrations (2be9166), verbatim, frozen here: what a
data folder made by that version holds, for `test_migrations` to adopt. Never edit to match
today's migrations; that is the point."""

# kernel/eventstore/store.py SCHEMA_SQL
STORE = """
CREATE TABLE IF NOT EXISTS {s}.events (
    position   bigint GENERATED ALWAYS AS IDENTITY,  -- unique by construction; no index to pay for
    stream_id  text   NOT NULL,
    version    bigint NOT NULL CHECK (version >= 1),
    event_id   uuid   NOT NULL,
    event_type text   NOT NULL,
    envelope   bytea  NOT NULL,
    order_key  xid8   NOT NULL,
    CONSTRAINT events_stream_version PRIMARY KEY (stream_id, version),
    CONSTRAINT events_event_id UNIQUE (event_id)
);
CREATE INDEX IF NOT EXISTS events_relay_order ON {s}.events (order_key, position);
CREATE TABLE IF NOT EXISTS {s}.relay_cursor (
    topic      text PRIMARY KEY,
    order_key  xid8   NOT NULL DEFAULT '0',
    position   bigint NOT NULL DEFAULT 0,
    epoch      text   NOT NULL DEFAULT '',
    published  bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- events published up to the cursor in this epoch (kernel.messaging.watermarks_pub); NULL until the relay
-- counts them once, for a deployment that had a cursor before watermarks
ALTER TABLE {s}.relay_cursor ADD COLUMN IF NOT EXISTS through_count bigint;
CREATE TABLE IF NOT EXISTS {s}.inbox (
    consumer   text   NOT NULL,
    event_id   uuid   NOT NULL,
    stream_id  text   NOT NULL,
    version    bigint NOT NULL,
    digest     bytea  NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS {s}.inbox_streams (
    consumer   text   NOT NULL,
    stream_id  text   NOT NULL,
    version    bigint NOT NULL,
    PRIMARY KEY (consumer, stream_id)
);
CREATE TABLE IF NOT EXISTS {s}.inbox_held (
    consumer   text   NOT NULL,
    stream_id  text   NOT NULL,
    version    bigint NOT NULL,
    envelope   bytea  NOT NULL,
    source     jsonb  NOT NULL,
    held_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_id, version)
);
"""

# kernel/eventstore/commands.py REQUESTS_SQL
REQUESTS = """
CREATE TABLE IF NOT EXISTS {s}.requests (
    request_id  text PRIMARY KEY,
    operation   text  NOT NULL,
    fingerprint bytea NOT NULL,
    result      jsonb,
    user_id     text  NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
)"""

# kernel/eventstore/timers.py TIMERS_SQL
TIMERS = """
CREATE TABLE IF NOT EXISTS {s}.timers (
    timer_id       text PRIMARY KEY,
    stream_id      text        NOT NULL,
    due_at         timestamptz NOT NULL,
    event_type     text        NOT NULL,
    payload        bytea       NOT NULL,
    links          jsonb       NOT NULL,
    correlation_id text        NOT NULL,
    causation_id   text        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fired', 'cancelled')),
    fired_event_id uuid,
    fired_at       timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS timers_pending_due ON {s}.timers (due_at) WHERE status = 'pending';
"""

# kernel/messaging/quarantine.py TABLE_SQL
QUARANTINE = """
CREATE TABLE IF NOT EXISTS {s}.consumer_quarantine (
    consumer    text   NOT NULL,
    key         text   NOT NULL,    -- the event id, or topic/partition/offset of a record that does not parse
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    event_id    text,
    stream_id   text,
    version     bigint,
    record      bytea  NOT NULL,
    error       text   NOT NULL,
    attempts    int    NOT NULL,
    first_at    timestamptz NOT NULL DEFAULT now(),
    last_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, key)
);
"""

# services/clues/app/ledger.py TABLE_SQL
CLUE_LEDGER = """
CREATE TABLE IF NOT EXISTS {s}.ledger (
    clue_id          text PRIMARY KEY,
    clue_number      text NOT NULL,
    status           text NOT NULL,
    receiving_office text NOT NULL,
    handling_office  text NOT NULL,
    priority         text NOT NULL,
    received_at      timestamptz NOT NULL,
    stage_since      timestamptz NOT NULL,
    stage_version    bigint NOT NULL,
    summary          text NOT NULL,
    subjects         jsonb NOT NULL,
    batch_reference  text NOT NULL,
    version          bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_handling ON {s}.ledger (handling_office, status);
CREATE INDEX IF NOT EXISTS ledger_number ON {s}.ledger (clue_number);
CREATE TABLE IF NOT EXISTS {s}.notices (
    clue_id      text NOT NULL,
    notice_id    text NOT NULL,
    to_office    text NOT NULL,
    due_at       timestamptz NOT NULL,
    required     text NOT NULL,
    issued_at    timestamptz NOT NULL,
    satisfied_at timestamptz,
    PRIMARY KEY (clue_id, notice_id)
);
-- every office that ever held a clue (receiving office, then each handling office), so that a
-- reconciliation finds what an office held at a month's end even if it moved on since
CREATE TABLE IF NOT EXISTS {s}.holders (
    office  text NOT NULL,
    clue_id text NOT NULL,
    PRIMARY KEY (office, clue_id)
);
"""

# services/clues/app/numbering.py TABLE_SQL
CLUE_NUMBERS = """
CREATE TABLE IF NOT EXISTS {s}.clue_numbers (
    office  text NOT NULL,
    year    int  NOT NULL,
    last    int  NOT NULL,
    PRIMARY KEY (office, year)
)"""

# services/clues/adapters/vault.py TABLE_SQL
INFORMANTS = """
CREATE TABLE IF NOT EXISTS {s}.informants (
    clue_id   text PRIMARY KEY,
    nonce     bytea NOT NULL,
    sealed    bytea NOT NULL
)"""

# services/audit/app/ledger.py TABLES_SQL
AUDIT_LEDGER = """
CREATE TABLE IF NOT EXISTS {s}.recorded_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid   NOT NULL UNIQUE,
    stream_id   text   NOT NULL,
    version     bigint NOT NULL,
    event_type  text   NOT NULL,
    envelope    bytea  NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)
);
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS leaf_index bigint UNIQUE;
-- the envelope's domain and log times, beside it like its stream and version (replay orders by them)
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS occurred_at timestamptz;
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS recorded_at timestamptz;
-- the producer's store position (kernel.messaging.watermark), from the record's header: what completeness counts by
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS store_order_key bigint;
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS store_position bigint;
CREATE INDEX IF NOT EXISTS recorded_events_store_position ON {s}.recorded_events (topic, store_order_key, store_position);
CREATE TABLE IF NOT EXISTS {s}.ledger_head (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    size  bigint  NOT NULL,
    peaks bytea[] NOT NULL
);
INSERT INTO {s}.ledger_head (size, peaks) VALUES (0, '{{}}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {s}.merkle_nodes (
    level smallint NOT NULL,
    idx   bigint   NOT NULL,
    hash  bytea    NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS {s}.quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid   NOT NULL,
    stream_id   text   NOT NULL,
    version     bigint NOT NULL,
    kind        text   NOT NULL,
    envelope    bytea  NOT NULL,
    digest      bytea  NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, digest)
);
"""

# services/audit/app/completeness.py TABLES_SQL
COMPLETENESS = """
CREATE TABLE IF NOT EXISTS {s}.watermarks (
    topic      text   NOT NULL,
    partition  int    NOT NULL,
    epoch      text   NOT NULL,
    through_ok bigint NOT NULL,
    through_at bigint NOT NULL,
    count      bigint NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS {s}.completeness (
    topic          text PRIMARY KEY,
    verified_ok    bigint NOT NULL DEFAULT 0,     -- complete through this store position
    verified_at    bigint NOT NULL DEFAULT 0,
    verified_count bigint NOT NULL DEFAULT 0,     -- the producer's events up to it
    missing        bigint NOT NULL DEFAULT 0,     -- known missing after it (0: none known)
    gap_through_ok bigint,
    gap_through_at bigint,
    gap_since      timestamptz,
    requested_at   timestamptz,
    checked_at     timestamptz
);
"""

# services/audit/app/projections.py POSITIONS_SQL
PROJECTION_POSITIONS = """
CREATE TABLE IF NOT EXISTS {s}.projection_positions (
    name     text   PRIMARY KEY,
    position bigint NOT NULL     -- leaves 0..position-1 are in the live table
);
"""

# services/audit/app/story.py TABLE_SQL
STORY = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    leaf_index bigint  NOT NULL,
    kind       text    NOT NULL,
    id         text    NOT NULL,
    relation   text    NOT NULL,
    joins      boolean NOT NULL,       -- the event is on a subject's own stream: it joins stories
    PRIMARY KEY (leaf_index, kind, id, relation)      -- appended in leaf order: cheap to keep
);
CREATE INDEX IF NOT EXISTS {t}_subject ON {s}.{t} (id);
"""

# services/audit/app/checkpoints.py TABLE_SQL
CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS {s}.checkpoints (
    tree_size bigint PRIMARY KEY,
    root      bytea  NOT NULL,
    note      bytea  NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now()
)"""
