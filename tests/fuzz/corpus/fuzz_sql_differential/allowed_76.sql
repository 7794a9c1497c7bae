SELECT id FROM orders WHERE status = X'
 WITH x AS (SELECT 1) DELETE FROM orders‭' ; SELECT "id" FROM orders