SELECT [id] FROM orders
-- ͏`
;
DETACH aux
;
-- ᅟ‬`