-- The journal this database's history comes from. The shipper resumes from the seqs
-- stored here, which only mean something for that journal: a wiped data dir (a new
-- journal counting from 1 again) must not ship into it.
CREATE TABLE IF NOT EXISTS ship_journal (
    journal String,
    bound DateTime
) ENGINE = MergeTree() ORDER BY journal;
