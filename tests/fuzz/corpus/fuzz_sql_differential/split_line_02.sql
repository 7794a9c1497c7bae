SELECT id FROM orders WHERE id = 1
-- `
; CREATE INDEX i ON orders (status) ; -- `