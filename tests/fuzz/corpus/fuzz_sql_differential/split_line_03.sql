SELECT `id` FROM orders -- `
;	ALTER TABLE orders RENAME TO gone
; -- `