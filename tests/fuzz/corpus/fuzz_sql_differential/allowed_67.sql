SELECT count(*) FROM orders WHERE status = 'paid'
--	 " ;SAVEPOINT s  

; SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id