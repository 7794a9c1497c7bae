SELECT `id` FROM orders--  );SELECT 1 INTO t3;
; SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id