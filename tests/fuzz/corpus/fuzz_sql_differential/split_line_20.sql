SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id -- U&'
; ATTACH ':memory:' AS aux
;
--'