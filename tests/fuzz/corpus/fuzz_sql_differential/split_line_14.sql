UPDATE products SET stock = 1 WHERE id = 1-- 'ㅤ
; CREATE INDEX i ON orders (status);	--'