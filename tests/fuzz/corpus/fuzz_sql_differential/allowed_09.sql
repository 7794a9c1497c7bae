SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id--  ᅟBEGIN ⁠
;	WITH x AS (SELECT 1) SELECT * FROM x