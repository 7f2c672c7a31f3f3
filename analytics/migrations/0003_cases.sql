-- Cases (a report followed to closure) and appeals against orders, as change rows:
-- the latest row of a case or appeal is its state.
CREATE TABLE IF NOT EXISTS case_changes (
    seq UInt64,
    logged DateTime('UTC'),
    case_id String,
    op String,
    at DateTime,
    who String,
    status String,
    assignee String,
    text String,
    events Array(String),
    orders Array(String)
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (case_id, seq);

CREATE TABLE IF NOT EXISTS appeals (
    seq UInt64,
    logged DateTime('UTC'),
    appeal_id String,
    order_id String,
    op String,
    at DateTime,
    who String,
    appellant String,
    statement String,
    outcome String,
    grounds String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(logged) ORDER BY (order_id, seq);
