-- What a stop-payment must carry to be executed (the holder's name, the amount and
-- when it was paid), as the feeds give it: a transfer's payee_name, and for each of a
-- report's suspect accounts its name, amount and time (parallel to suspect_accounts;
-- '' / 0 / 1970-01-01 where the victim did not know). 18.16 has no ADD COLUMN IF NOT
-- EXISTS: Migrate treats "column already exists" as done, so this too can run again.
ALTER TABLE events ADD COLUMN payee_name String;
ALTER TABLE events ADD COLUMN suspect_names Array(String);
ALTER TABLE events ADD COLUMN suspect_amounts_fen Array(Int64);
ALTER TABLE events ADD COLUMN suspect_paid_at Array(DateTime);
