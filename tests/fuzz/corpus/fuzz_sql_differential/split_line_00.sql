SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id--	E'
;WITH x AS (SELECT 1) DELETE FROM orders
 --'