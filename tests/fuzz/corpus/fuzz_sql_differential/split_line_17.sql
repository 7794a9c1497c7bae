SELECT count(*) FROM orders WHERE status = 'paid'
-- E'
;
SAVEPOINT s;
#'