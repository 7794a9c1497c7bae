SELECT count(*) FROM orders WHERE status = 'paid' --  N'‪;DELETE FROM orders
;SELECT 'a'