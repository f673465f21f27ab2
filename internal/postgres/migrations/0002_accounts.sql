-- 0002: agents, their credentials and sessions (internal/account).
-- Reserved; filled in with the account store.
SELECT 1;
