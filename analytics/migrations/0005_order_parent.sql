-- The order an order follows from: for a renewal, the order it renews; for a freeze,
-- the stop or freeze request it converts; '' for an order issued on its own. Losses
-- stopped count a stop's money once, not again for each renewal. Re-runnable like 0004.
ALTER TABLE orders ADD COLUMN parent String;
