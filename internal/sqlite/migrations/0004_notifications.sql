-- 0004: the durable queue of citizen notifications (internal/notify).
-- Reserved; filled in with the notification store.
SELECT 1;
