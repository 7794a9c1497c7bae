SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id	--  /*
;
ALTER TABLE orders RENAME TO gone
;	-- */