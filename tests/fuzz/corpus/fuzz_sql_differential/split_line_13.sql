UPDATE products SET stock = 1 WHERE id = 1
--X'
;
CREATE INDEX i ON orders (status)
; --	'