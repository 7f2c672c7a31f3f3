-- History tables. Every row carries the journal seq it came from (the shipper's
-- exactly-once key) and logged, the journal time, which partitions by month: logged
-- grows with seq, so one shipped batch never spans more than one month boundary.
-- logged is DateTime('UTC') whatever the server's timezone, so its months are the
-- UTC months the shipper splits batches at.
-- Written for ClickHouse 18.16 and current servers: plain MergeTree, no TTL (a
-- retention job drops old partitions), no LowCardinality, DateTime only.

CREATE TABLE IF NOT EXISTS events (
    seq UInt64,
    logged DateTime('UTC'),
    id String,
    kind String,
    at DateTime,
    at_ms UInt16,
    bank String,
    payer_account String,
    payer_phone String,
    payee_account String,
    payee_bank String,
    amount_fen Int64,
    payer_balance_fen Int64,
    has_balance UInt8,
    channel String,
    operator String,
    caller String,
    callee String,
    duration_s UInt32,
    origin String,
    text String,
    reporter_phone String,
    fraud_type String,
    suspect_numbers Array(String),
    suspect_accounts Array(String),
    suspect_banks Array(String),
    amount_lost_fen Int64,
    narrative String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (kind, at, id);

CREATE TABLE IF NOT EXISTS decisions (
    seq UInt64,
    logged DateTime('UTC'),
    event_id String,
    kind String,
    at DateTime,
    score UInt8,
    level String,
    rules Array(String),
    rule_scores Array(Int16),
    rule_why Array(String),
    shadow_rules Array(String),
    errors Array(String),
    action_types Array(String),
    action_targets Array(String),
    action_ids Array(String),
    latency_us UInt32
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (at, event_id);

CREATE TABLE IF NOT EXISTS orders (
    seq UInt64,
    logged DateTime('UTC'),
    order_id String,
    type String,
    status String,
    at DateTime,
    org String,
    account String,
    phone String,
    amount_fen Int64,
    event_id String,
    rule String,
    issuer String,
    reason String,
    reference String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (order_id, at, seq);

CREATE TABLE IF NOT EXISTS list_changes (
    seq UInt64,
    logged DateTime('UTC'),
    op String,
    target String,
    list String,
    value String,
    prefix UInt8,
    reason String,
    source String,
    who String,
    expires DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (value, seq);

CREATE TABLE IF NOT EXISTS warnings (
    seq UInt64,
    logged DateTime('UTC'),
    task_id String,
    phone String,
    tier String,
    status String,
    channel String,
    at DateTime,
    event_id String,
    template String,
    error_code String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (task_id, at, seq);

CREATE TABLE IF NOT EXISTS audit (
    seq UInt64,
    logged DateTime('UTC'),
    at DateTime,
    who String,
    role String,
    action String,
    target String,
    detail String,
    remote String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (at, seq);

CREATE TABLE IF NOT EXISTS rule_changes (
    seq UInt64,
    logged DateTime('UTC'),
    rule_id String,
    version UInt32,
    mode String,
    weight Int16,
    expr String,
    who String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (rule_id, version, seq);

-- The shipper's progress: every table holds all its rows with seq <= max(seq) here.
CREATE TABLE IF NOT EXISTS ship_progress (
    seq UInt64,
    at DateTime
) ENGINE = MergeTree() ORDER BY seq;
